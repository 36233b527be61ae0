/**
 * The rules of PROTOCOL.md §17.3 for an edit, a delete or a reaction, applied the same way to one received from a peer
 * (actions/receive.ts) and to one of our own before it is sent (actions/send.ts): find the target in the conversation,
 * check the author, and write the result. Runs inside the caller's store transaction.
 */
import type { HistoryTable, TargetRow } from '../store/history.js';

/** One edit, delete or reaction, as its author signed it. */
export interface Action {
  op: 'edit' | 'delete' | 'reaction';
  /** The verified sender. */
  author: string;
  /** Edit: the sequence number and the new text. */
  seq?: number;
  text?: string;
  /** Reaction: the emoji, `""` to remove. */
  emoji?: string;
  /** The signed ts of the action envelope. */
  ts: number;
}

/** Where the action says its target is: a 1:1 message id with a peer, or a §17.2 reference in a group. */
export type TargetRef = { kind: 'direct'; peer: string; id: string } | { kind: 'group'; conv: string; ref: string };

/** Typed reasons a target or an author is refused (§17.3), recorded like any rejected envelope (§4). */
export type ActionRefusal = 'TARGET_UNKNOWN' | 'TARGET_WRONG_CONVERSATION' | 'TARGET_DELETED' | 'NOT_AUTHOR';

export type ActionResult =
  /** Applied; `current` for an edit: it is now the shown text (false: an older version kept, §17.3 ordering). */
  | { ok: true; target: TargetRow; current: boolean; changed: boolean }
  | { ok: false; code: ActionRefusal; detail: string };

/**
 * Finds the target named by `ref` for an action from `author`; `me` is our username (the sender of our 1:1 rows).
 * A 1:1 target must be a message of the conversation with `peer`; a group target one of that group.
 */
export function findTarget(
  h: Pick<HistoryTable, 'byId' | 'byRef'>,
  ref: TargetRef,
  me: string,
): { ok: true; target: TargetRow; sender: string } | { ok: false; code: ActionRefusal; detail: string } {
  if (ref.kind === 'group') {
    const t = h.byRef(ref.conv, ref.ref);
    if (!t) return { ok: false, code: 'TARGET_UNKNOWN', detail: `no message ${ref.ref} in this group` };
    return { ok: true, target: t, sender: t.sender ?? me };
  }
  const t = h.byId(ref.id);
  if (!t) return { ok: false, code: 'TARGET_UNKNOWN', detail: `no message ${ref.id}` };
  if (t.table !== 'messages' || t.conv !== ref.peer)
    return {
      ok: false,
      code: 'TARGET_WRONG_CONVERSATION',
      detail: `message ${ref.id} is not in the conversation with ${ref.peer}`,
    };
  return { ok: true, target: t, sender: t.sender ?? me };
}

/**
 * Applies `a` to the target `ref` names (§17.3):
 * - only the target's sender may edit or delete it [`NOT_AUTHOR`]; anyone in the conversation may react;
 * - a deleted message takes no edit or reaction [`TARGET_DELETED`]; deleting it again changes nothing;
 * - edits are ordered by their `seq`: the highest is shown whatever the order they arrive in; every version is kept
 *   (the original as seq 0, saved by the first edit); an equal seq changes nothing (a redelivery);
 * - a reaction replaces the author's previous one; `""` removes it.
 */
export function applyAction(
  h: Pick<HistoryTable, 'byId' | 'byRef' | 'addVersion' | 'setCurrent' | 'markDeleted' | 'setReaction'>,
  ref: TargetRef,
  a: Action,
  me: string,
  now: number,
): ActionResult {
  const found = findTarget(h, ref, me);
  if (!found.ok) return found;
  const { target: t, sender } = found;
  if (a.op !== 'reaction' && sender !== a.author)
    return { ok: false, code: 'NOT_AUTHOR', detail: `${a.author} may not ${a.op} a message sent by ${sender}` };
  if (t.deleted) {
    if (a.op === 'delete') return { ok: true, target: t, current: true, changed: false };
    return { ok: false, code: 'TARGET_DELETED', detail: `message ${t.id} was deleted` };
  }
  switch (a.op) {
    case 'delete':
      h.markDeleted(t);
      return { ok: true, target: t, current: true, changed: true };
    case 'reaction':
      h.setReaction(t.id, a.author, a.emoji ?? '', now);
      return { ok: true, target: t, current: true, changed: true };
    case 'edit': {
      const seq = a.seq ?? 0;
      if (seq === t.editSeq) return { ok: true, target: t, current: true, changed: false };
      if (t.editSeq === 0) h.addVersion(t.id, 0, t.body, t.ts, t.receivedAt);
      h.addVersion(t.id, seq, a.text ?? '', a.ts, now);
      if (seq < t.editSeq) return { ok: true, target: t, current: false, changed: true };
      h.setCurrent(t, seq, a.text ?? '');
      return { ok: true, target: t, current: true, changed: true };
    }
  }
}
