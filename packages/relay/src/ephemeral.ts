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
  const forwarded = receiver
    ? receiver.forwardEphemeral(f.id, f.env, ctx.now())
    : await forwardElsewhere(ctx, f.to, f.id, f.env);
  if (!forwarded) return errFrame('NOT_ONLINE', `${f.to} is not online; nothing was stored`, f.rid);
  return { t: 'sent', rid: f.rid, id: f.id };
}

/** Hands the envelope to the relay holding `to`'s receiving session, if another relay on the store does. */
async function forwardElsewhere(ctx: RelayContext, to: string, id: Uint8Array, env: Uint8Array): Promise<boolean> {
  if (!ctx.cluster || !(await ctx.cluster.isReceiving(to))) return false;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  return ctx.cluster.publish({ k: 'eph', to, id: b64(id), env: b64(env), ts: ctx.now() });
}

/** The reply to `who`: the users with a `recv` session (on any relay of the store), sorted, at most MAX_ONLINE_USERS. */
export async function onlineUsers(ctx: RelayContext, rid: number): Promise<OnlineFrame> {
  const users = ctx.cluster
    ? await ctx.cluster.receivers(MAX_ONLINE_USERS)
    : [...ctx.receivers.keys()].sort().slice(0, MAX_ONLINE_USERS);
  return { t: 'online', rid, users };
}
