/**
 * §17.6: the edits, deletes and reactions kept because they arrived before their target are applied when the target
 * is committed, in the transaction that commits it, in the order they arrived, by the rules of §17.3 as if they
 * arrived just after it. Called by the handlers that commit messages (messages.ts, groups/receive.ts).
 */
import type { Emit } from '../events.js';
import type { Store } from '../store/store.js';
import { type ActionContext, receiveAction } from './receive.js';

export type ReleaseContext = ActionContext & { readonly store: Pick<Store, 'rejected'> };

export interface Released {
  /** A kept delete applied: the message is committed deleted and must never be shown (no `message` event). */
  deleted: boolean;
  /** The events of what was applied or refused, to announce after the message's own, in arrival order. */
  events: (() => void)[];
}

/**
 * Applies what is kept for the message `messageId` just committed in `conv` (a peer, or `#<gid>`), named by `target`
 * (its id, or its §17.2 reference in a group). A kept action refused now (NOT_AUTHOR, TARGET_DELETED, …) is recorded
 * as rejected with that code, as it would have been had it come after its target.
 */
export function releaseHeldActions(
  m: ReleaseContext,
  conv: string,
  target: string,
  messageId: string,
  emit: Emit,
  now: number,
): Released {
  const kept = m.store.held.actionsFor(conv, target);
  if (kept.length === 0) return { deleted: false, events: [] }; // the common case: one indexed lookup per message
  const events: { action: boolean; run: () => void }[] = [];
  for (const k of kept) {
    m.store.held.removeAction(k.seq);
    const r = receiveAction(m, { ...k, from: k.sender }, now);
    if (r.outcome === 'applied') {
      const event = r.event;
      if (event) events.push({ action: true, run: () => emit('action', event) });
    } else if (m.store.rejected.add({ id: k.id, reason: r.code, relayTs: k.relayTs, rejectedAt: now })) {
      const rejected = { id: k.id, code: r.code, detail: r.detail };
      events.push({ action: false, run: () => emit('rejected', rejected) });
    }
  }
  // Deleted: the message is never shown, so neither is what was done to it before the delete.
  const deleted = m.store.history.byId(messageId)?.deleted === true;
  return { deleted, events: events.filter((e) => !(deleted && e.action)).map((e) => e.run) };
}
