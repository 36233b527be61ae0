/**
 * Ephemeral sends and presence (PROTOCOL.md §9 "Ephemeral", §6.1 `who`): nothing here touches the mailbox store.
 * An ephemeral envelope (a typing signal) goes to the recipient's `recv` session if one is online, else nowhere.
 */
import { MAX_ONLINE_USERS, errFrame, type OnlineFrame, type RelayFrame, type SendFrame } from '@chat/protocol';
import type { RelayContext } from './context.js';
import { checkRecipient, recipientRefusal } from './recipient.js';

/** The reply to an ephemeral `send`: `sent` once forwarded, else `UNKNOWN_USER`, `ENVELOPE_TOO_LARGE` or `NOT_ONLINE`. */
export async function forwardEphemeral(ctx: RelayContext, f: SendFrame): Promise<RelayFrame> {
  const refused = await checkRecipient(ctx, f.to, f.env);
  if (refused) return errFrame(refused, recipientRefusal(refused, f.to, ctx.limits.maxEnvelopeBytes), f.rid);
  const receiver = ctx.receivers.get(f.to);
  if (!receiver?.forwardEphemeral(f.id, f.env, ctx.now())) {
    return errFrame('NOT_ONLINE', `${f.to} is not online; nothing was stored`, f.rid);
  }
  return { t: 'sent', rid: f.rid, id: f.id };
}

/** The reply to `who`: the users with a `recv` session, sorted, at most MAX_ONLINE_USERS of them. */
export function onlineUsers(ctx: RelayContext, rid: number): OnlineFrame {
  const users = [...ctx.receivers.keys()].sort().slice(0, MAX_ONLINE_USERS);
  return { t: 'online', rid, users };
}
