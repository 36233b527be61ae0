/**
 * Receiving edits, deletes and reactions (PROTOCOL.md §17), 1:1 and in groups, after §4 steps 1–6 have verified the
 * envelope and its sender: the handlers the Messenger registers in the receive table (receive/handlers.ts). Replies
 * are messages and are received with them (messages.ts, groups/receive.ts). An action whose target has not arrived is
 * kept for it (§17.6, store/held.ts) and applied by held.ts when the target is committed.
 */
import { MessageKind, parseMessageAction, toHex } from '@chat/crypto';
import type { Self } from '../context.js';
import type { ActionEvent } from '../events.js';
import { isMember } from '../groups/state.js';
import type { KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';
import { applyAction, type TargetRef } from './rules.js';

export type ActionContext = Pick<Self, 'username'> & {
  readonly store: Pick<Store, 'history' | 'groups' | 'seen' | 'held' | 'v2' | 'recovery'>;
};

/** One received action envelope, verified: what the handler and a later release (held.ts) both apply. */
export interface ReceivedAction {
  id: string;
  from: string;
  kind: number;
  body: Uint8Array;
  ts: number;
  relayTs: number | null;
}

export type ActionOutcome =
  /** Applied; `event` to announce (absent when nothing changed or the group is pending, §15.7). */
  | { outcome: 'applied'; event?: ActionEvent }
  /** Its target is not held: TARGET_UNKNOWN unless §17.6 keeps it (`keep`: where to look for it). */
  | { outcome: 'unknown'; code: 'TARGET_UNKNOWN'; detail: string; conv: string; target: string }
  | { outcome: 'rejected'; code: string; detail: string };

/** §17.3 for one action, now. Writes nothing on a refusal. */
export function receiveAction(m: ActionContext, a: ReceivedAction, now: number): ActionOutcome {
  const parsed = parseMessageAction(a.kind, a.body);
  const op = parsed.op;
  if (op === 'reply') return { outcome: 'applied' }; // replies are messages (messages.ts); never registered here
  const from = a.from;
  let ref: TargetRef;
  let conv = from;
  let gid: string | undefined;
  let shown = true;
  if (parsed.gid) {
    gid = toHex(parsed.gid);
    const g = m.store.groups.get(gid);
    // §15.5 for group texts applies to everything said in a group: both of us members of the state we hold.
    if (!g?.member || !isMember(g.record, from))
      return {
        outcome: 'rejected',
        code: 'GROUP_NOT_MEMBER',
        detail: `${from} is not a member of a group we are in (${gid.slice(0, 8)})`,
      };
    ref = { kind: 'group', conv: `#${gid}`, ref: toHex(parsed.target) };
    conv = `#${g.record.name}`;
    shown = g.invitedBy === undefined; // a pending group's changes are applied, not announced (§15.7)
  } else {
    ref = { kind: 'direct', peer: from, id: toHex(parsed.target) };
  }
  const action = {
    op,
    author: from,
    ts: a.ts,
    ...(parsed.seq === undefined ? {} : { seq: parsed.seq }),
    ...(parsed.text === undefined ? {} : { text: parsed.text }),
    ...(parsed.emoji === undefined ? {} : { emoji: parsed.emoji }),
  };
  const r = applyAction(m.store.history, ref, action, m.username, now);
  if (!r.ok) {
    if (r.code !== 'TARGET_UNKNOWN') return { outcome: 'rejected', code: r.code, detail: r.detail };
    const where = ref.kind === 'group' ? { conv: ref.conv, target: ref.ref } : { conv: ref.peer, target: ref.id };
    return { outcome: 'unknown', code: r.code, detail: r.detail, ...where };
  }
  if (!r.changed || !shown) return { outcome: 'applied' };
  const event: ActionEvent = {
    type: op,
    id: a.id,
    target: r.target.id,
    from,
    conv,
    ...(gid === undefined ? {} : { group: gid }),
    ...(op === 'edit' ? { body: parsed.text ?? '', seq: parsed.seq ?? 0, current: r.current } : {}),
    ...(op === 'reaction' ? { emoji: parsed.emoji ?? '' } : {}),
    ts: a.ts,
    relayTs: a.relayTs ?? 0,
    receivedAt: now,
  };
  return { outcome: 'applied', event };
}

/**
 * §17.6: whether a 1:1 target id can still come. One this client rejected, saw and dropped (expired, deleted for me,
 * restored from a backup) will not, unless it awaits a resend from that peer (§24.7): then the action waits for it.
 */
function mayStillCome(m: ActionContext, conv: string, target: string): boolean {
  if (conv.startsWith('#')) return true; // a group reference names no envelope id: nothing to look up
  return !m.store.v2.committed(target) || m.store.recovery.awaits(target, conv);
}

/** The handlers for the edit, delete and reaction kinds, 1:1 and group. */
export function actionHandlers(m: ActionContext): [number, KindHandler][] {
  const handle: KindHandler = ({ id, relayTs, opened, later, emit }) => {
    const now = Date.now();
    const a = { id, from: opened.from, kind: opened.kind, body: opened.body, ts: opened.ts, relayTs };
    const r = receiveAction(m, a, now);
    if (r.outcome === 'rejected') return r;
    if (r.outcome === 'unknown') {
      // §17.6: kept for its target, within the bounds; past them, or for a target that will not come, refused.
      if (!mayStillCome(m, r.conv, r.target)) return { outcome: 'rejected', code: r.code, detail: r.detail };
      const held = m.store.held.holdAction({ ...a, sender: a.from, conv: r.conv, target: r.target }, now);
      if (held === 'full') {
        const detail = `${r.detail}, and ${a.from}'s or all kept actions are at their bound`;
        return { outcome: 'rejected', code: r.code, detail };
      }
      m.store.seen.add([id], now); // a redelivery is a duplicate, whether it is still kept or applied by then
      return { outcome: held === 'duplicate' ? 'duplicate' : 'applied' };
    }
    // The action's own id joins the seen ids: a replay of an old reaction cannot undo a newer one (§17.3).
    m.store.seen.add([id], now);
    const event = r.event;
    if (event) later(() => emit('action', event));
    return { outcome: 'applied' };
  };
  return [
    MessageKind.edit,
    MessageKind.delete,
    MessageKind.reaction,
    MessageKind.groupEdit,
    MessageKind.groupDelete,
    MessageKind.groupReaction,
  ].map((k) => [k, handle]);
}
