/**
 * Recovery of lost v2 sessions (PROTOCOL.md §24.7). A receiver that cannot decrypt a message for want of a session
 * records its id as awaiting a resend and, in the same transaction, queues a resend request (kind 0x0C) to the
 * sender, which the send pipeline seals in a fresh session (seal.ts). The sender's side is the kind's handler: it
 * queues again, under their original ids, the messages of its history it sent to that peer, each at most once.
 * Everything here runs inside the receive batch's transaction; the rows are store/recovery.ts's.
 */
import { MAX_RESEND_IDS, MESSAGE_ID_BYTES, MessageKind, fromHex, randomMessageId, toHex, utf8 } from '@chat/crypto';
import type { Announce } from '../context.js';
import type { RecoveryEvent } from '../events.js';
import type { KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';

/** Ids a receiver keeps awaiting a resend from one peer (§24.7); further failures are only rejected. */
export const MAX_AWAITING_PER_PEER = 256;
/** How long awaited and resent ids are remembered: the relay's mailbox expiry (§9, §24.7 RECOVERY_KEEP). */
export const RECOVERY_KEEP_MS = 30 * 24 * 60 * 60 * 1000;

/** The §24.3 step 6 failures that mean "for want of a session" (RATCHET_DECRYPT_FAILED only without a key change). */
export const WANT_OF_SESSION: ReadonlySet<string> = new Set(['NO_SESSION', 'PREKEY_UNKNOWN', 'RATCHET_DECRYPT_FAILED']);

type RecoveryStore = Pick<Store, 'recovery' | 'outbox' | 'blocked'>;

/** Receiver step 1: `id` from `peer` failed for want of a session; true if it now awaits a resend. */
export function awaitResend(store: RecoveryStore, id: string, peer: string, now: number): boolean {
  if (store.blocked.has(peer)) return false; // §17.4: nothing is asked of a blocked user
  return store.recovery.await(id, peer, now, MAX_AWAITING_PER_PEER);
}

/**
 * Receiver step 2: for each peer with ids not asked for and no request open, queues one resend request (up to
 * MAX_RESEND_IDS ids, oldest first). Call in the batch's transaction; returns the notices to emit after it commits.
 */
export function askForResends(store: RecoveryStore, now: number): RecoveryEvent[] {
  store.recovery.sweep(now - RECOVERY_KEEP_MS);
  const asked: RecoveryEvent[] = [];
  for (const peer of store.recovery.peersToAsk()) {
    const ids = store.recovery.ask(peer, MAX_RESEND_IDS, now);
    if (ids.length === 0) continue;
    const body = new Uint8Array(ids.length * MESSAGE_ID_BYTES);
    ids.forEach((id, k) => body.set(fromHex(id), k * MESSAGE_ID_BYTES));
    const id = toHex(randomMessageId());
    store.outbox.enqueue({ id, peer, kind: MessageKind.resendRequest, body, ts: now });
    asked.push({ type: 'recovery', action: 'asked', peer, ids });
  }
  return asked;
}

/**
 * Receiver step 3: the resend request `body` to `peer` could not be sealed (no prekey bundle, or one that fails its
 * checks) and leaves the outbox unsent. Its request is not open, so it cannot block recovery from `peer` until the
 * sweep; its ids are asked for again by the next batch that fails or decrypts (never in a loop of its own).
 */
export function resendRequestDropped(store: Pick<RecoveryStore, 'recovery'>, peer: string, body: Uint8Array): void {
  const ids: string[] = [];
  for (let at = 0; at + MESSAGE_ID_BYTES <= body.length; at += MESSAGE_ID_BYTES) {
    ids.push(toHex(body.subarray(at, at + MESSAGE_ID_BYTES)));
  }
  store.recovery.dropped(peer, ids);
}

/**
 * The sender's side (§24.7): the handler of kind 0x0C. Queues again each id of the request that is an outgoing 1:1
 * text or reply of ours to the requester, never resent to it before; ignores everything else, and any request that
 * came in a v1 envelope (only a v2 session shows the requester could have been sent them).
 */
export function recoveryHandlers(
  ctx: Announce & { readonly store: RecoveryStore; kickOutbox(): void },
): [number, KindHandler][] {
  const resendRequest: KindHandler = ({ opened, later }) => {
    // A v2 message carries no signature (§24.1): a signed one is a v1 envelope.
    if (opened.signature.length > 0) return { outcome: 'applied' };
    const peer = opened.from;
    const now = Date.now();
    ctx.store.recovery.sweep(now - RECOVERY_KEEP_MS);
    const ids: string[] = [];
    for (let at = 0; at + MESSAGE_ID_BYTES <= opened.body.length; at += MESSAGE_ID_BYTES) {
      const id = toHex(opened.body.subarray(at, at + MESSAGE_ID_BYTES));
      const m = ctx.store.recovery.resendable(id, peer);
      if (!m) continue;
      const text = utf8(m.body);
      const reply = m.replyTo !== null;
      const body = reply ? Buffer.concat([fromHex(m.replyTo as string), text]) : text;
      const kind = reply ? MessageKind.reply : MessageKind.text;
      ctx.store.outbox.enqueue({ id, peer, kind, body: new Uint8Array(body), ts: m.ts });
      ctx.store.recovery.resent(id, peer, now);
      ids.push(id);
    }
    if (ids.length > 0) {
      later(() => {
        ctx.emit('recovery', { type: 'recovery', action: 'resent', peer, ids });
        ctx.kickOutbox();
      });
    }
    return { outcome: 'applied' };
  };
  return [[MessageKind.resendRequest, resendRequest]];
}
