/**
 * The receiver's half of a sender key request (PROTOCOL.md §25.9; the sender's is groups/sender-key-request.ts). A
 * distribution we refused (the record adding its sender came later) or that the relay dropped leaves every message of
 * that epoch GROUP_EPOCH_UNKNOWN: we ask the sender, in the 1:1 v2 session, once per (gid, sender, epoch) and with at
 * most one request open per (gid, sender), closed when that sender's key for the group comes. So a flood of forged
 * group messages (anyone who knows the gid can make one) makes one request until the real sender writes.
 */
import { SENDER_KEY_REQUEST_BYTES, SENDER_KEY_REQUEST_KIND, randomMessageId, toHex } from '@chat/crypto';
import type { Self } from '../context.js';
import type { Store } from '../store/store.js';

type AskContext = Pick<Self, 'username'> & {
  readonly store: Pick<Store, 'groups' | 'senderKeys' | 'blocked' | 'outbox'>;
};

/**
 * Receiver: a group message from `from` in `gid` was GROUP_EPOCH_UNKNOWN. Queues a sender key request if `from` and we
 * are members of our current state of the group, `from` is not blocked and not us, and `ask`'s bounds allow; true if
 * one was queued.
 */
export function askForSenderKey(m: AskContext, gid: Uint8Array, from: string, epoch: Uint8Array, now: number): boolean {
  const g = toHex(gid);
  if (from === m.username || m.store.blocked.has(from) || !bothMembers(m, g, from)) return false;
  if (!m.store.senderKeys.ask(g, from, epoch, now)) return false;
  const body = new Uint8Array(SENDER_KEY_REQUEST_BYTES);
  body.set(gid, 0);
  body.set(epoch, 16);
  m.store.outbox.enqueue({ id: toHex(randomMessageId()), peer: from, kind: SENDER_KEY_REQUEST_KIND, body, ts: now });
  return true;
}

/** Whether we are in our current state of `gid` and `peer` is a member of it too. */
export function bothMembers(
  m: Pick<Self, 'username'> & { readonly store: Pick<Store, 'groups'> },
  gid: string,
  peer: string,
): boolean {
  const g = m.store.groups.get(gid);
  if (!g?.member) return false;
  const members = new Set(g.record.members.map((x) => x.user));
  return members.has(peer) && members.has(m.username);
}
