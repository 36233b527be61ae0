/**
 * Receiving edits, deletes and reactions (PROTOCOL.md §17), 1:1 and in groups, after §4 steps 1–6 have verified the
 * envelope and its sender: the handlers the Messenger registers in the receive table (receive/handlers.ts). Replies
 * are messages and are received with them (messages.ts, groups/receive.ts).
 */
import { MessageKind, parseMessageAction, toHex } from '@chat/crypto';
import type { Self } from '../context.js';
import type { ActionEvent } from '../events.js';
import { isMember } from '../groups/state.js';
import type { KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';
import { applyAction, type TargetRef } from './rules.js';

type ActionContext = Pick<Self, 'username'> & { readonly store: Pick<Store, 'history' | 'groups' | 'seen'> };

/** The handlers for the edit, delete and reaction kinds, 1:1 and group. */
export function actionHandlers(m: ActionContext): [number, KindHandler][] {
  const handle: KindHandler = ({ id, relayTs, opened, later, emit }) => {
    const a = parseMessageAction(opened.kind, opened.body);
    const op = a.op;
    if (op === 'reply') return { outcome: 'applied' }; // replies are messages (messages.ts); never registered here
    const from = opened.from;
    let ref: TargetRef;
    let conv = from;
    let gid: string | undefined;
    let shown = true;
    if (a.gid) {
      gid = toHex(a.gid);
      const g = m.store.groups.get(gid);
      // §15.5 for group texts applies to everything said in a group: both of us members of the state we hold.
      if (!g?.member || !isMember(g.record, from))
        return {
          outcome: 'rejected',
          code: 'GROUP_NOT_MEMBER',
          detail: `${from} is not a member of a group we are in (${gid.slice(0, 8)})`,
        };
      ref = { kind: 'group', conv: `#${gid}`, ref: toHex(a.target) };
      conv = `#${g.record.name}`;
      shown = g.invitedBy === undefined; // a pending group's changes are applied, not announced (§15.7)
    } else {
      ref = { kind: 'direct', peer: from, id: toHex(a.target) };
    }
    const now = Date.now();
    const action = { op, author: from, ts: opened.ts, ...(a.seq === undefined ? {} : { seq: a.seq }) };
    const r = applyAction(
      m.store.history,
      ref,
      {
        ...action,
        ...(a.text === undefined ? {} : { text: a.text }),
        ...(a.emoji === undefined ? {} : { emoji: a.emoji }),
      },
      m.username,
      now,
    );
    if (!r.ok) return { outcome: 'rejected', code: r.code, detail: r.detail };
    // The action's own id joins the seen ids: a replay of an old reaction cannot undo a newer one (§17.3).
    m.store.seen.add([id], now);
    if (!r.changed || !shown) return { outcome: 'applied' };
    const event: ActionEvent = {
      type: op,
      id,
      target: r.target.id,
      from,
      conv,
      ...(gid === undefined ? {} : { group: gid }),
      ...(op === 'edit' ? { body: a.text ?? '', seq: a.seq ?? 0, current: r.current } : {}),
      ...(op === 'reaction' ? { emoji: a.emoji ?? '' } : {}),
      ts: opened.ts,
      relayTs,
      receivedAt: now,
    };
    later(() => emit('action', event));
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
