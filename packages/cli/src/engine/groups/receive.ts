/**
 * Receiving the group and room kinds (PROTOCOL.md §15.4–§15.6), after §4 steps 1–6 have verified the envelope and
 * its sender: membership changes are checked against the stored state, texts against membership.
 */
import {
  GROUP_ID_BYTES,
  MessageKind,
  fromUtf8,
  groupMessageRef,
  parseMessageAction,
  parseGroupRecord,
  parseRoomText,
  toHex,
  type OpenedEnvelope,
} from '@chat/crypto';
import type { Self } from '../context.js';
import type { GroupMessage } from '../events.js';
import type { Delivery, KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';
import { describeChange, groupConv } from './groups.js';
import { checkRecord, isMember } from './state.js';

export type GroupOutcome =
  | { outcome: 'shown'; message: GroupMessage }
  /** Kept for a pending invitation (§15.7): stored, not shown until accepted. */
  | { outcome: 'held' }
  | { outcome: 'duplicate' }
  | { outcome: 'rejected'; code: string; detail: string };

type GroupContext = Pick<Self, 'username'> & { readonly store: Pick<Store, 'groups' | 'history'> };

/** The handlers for the group and room kinds, for the receive table (receive/handlers.ts). */
export function groupHandlers(m: GroupContext): [number, KindHandler][] {
  const handle: KindHandler = (d: Delivery) => {
    const r = applyGroupEnvelope(m, d.id, d.opened, d.relayTs);
    if (r.outcome === 'held') return { outcome: 'applied' };
    if (r.outcome !== 'shown') return r;
    const message = r.message;
    d.later(() => d.emit('groupMessage', message));
    return { outcome: 'new' };
  };
  return [MessageKind.groupText, MessageKind.groupReply, MessageKind.groupState, MessageKind.roomText].map((k) => [
    k,
    handle,
  ]);
}

function applyGroupEnvelope(m: GroupContext, id: string, opened: OpenedEnvelope, relayTs: number): GroupOutcome {
  const from = opened.from;
  const now = Date.now();
  if (opened.kind === MessageKind.roomText) {
    const { room, text } = parseRoomText(opened.body);
    if (!m.store.groups.joinedRooms().includes(room))
      return {
        outcome: 'rejected',
        code: 'ROOM_NOT_JOINED',
        detail: `a message for #${room}, which we have not joined`,
      };
    if (
      !m.store.groups.addMessage({
        id,
        conv: `room:${room}`,
        sender: from,
        body: text,
        ts: opened.ts,
        relayTs,
        receivedAt: now,
      })
    )
      return { outcome: 'duplicate' };
    return {
      outcome: 'shown',
      message: { id, kind: 'room', conv: `#${room}`, from, body: text, ts: opened.ts, relayTs, receivedAt: now },
    };
  }
  const gid = toHex(opened.body.subarray(0, GROUP_ID_BYTES));
  const current = m.store.groups.get(gid);
  if (opened.kind === MessageKind.groupText || opened.kind === MessageKind.groupReply) {
    if (!current?.member || !isMember(current.record, from)) {
      return {
        outcome: 'rejected',
        code: 'GROUP_NOT_MEMBER',
        detail: `${from} is not a member of a group we are in (${gid.slice(0, 8)})`,
      };
    }
    // A group reply (§17.1) names its target by reference (§17.2): held as the local id of that message if we have it.
    const reply = opened.kind === MessageKind.groupReply ? parseMessageAction(opened.kind, opened.body) : undefined;
    const text = reply ? (reply.text ?? '') : fromUtf8(opened.body.subarray(GROUP_ID_BYTES));
    const conv = groupConv(gid);
    const replyTo = reply && (m.store.history.byRef(conv, toHex(reply.target))?.id ?? toHex(reply.target));
    const ref = toHex(groupMessageRef(opened.kind, from, opened.ts, opened.body));
    if (
      !m.store.groups.addMessage({
        id,
        conv,
        sender: from,
        body: text,
        ts: opened.ts,
        relayTs,
        receivedAt: now,
        ref,
        replyTo: replyTo ?? null,
      })
    )
      return { outcome: 'duplicate' };
    if (current.invitedBy !== undefined) return { outcome: 'held' };
    return {
      outcome: 'shown',
      message: {
        id,
        kind: 'group',
        conv: `#${current.record.name}`,
        gid,
        from,
        body: text,
        ts: opened.ts,
        relayTs,
        receivedAt: now,
        ...(replyTo === undefined ? {} : { replyTo }),
      },
    };
  }
  const record = parseGroupRecord(opened.body);
  const check = checkRecord(m.username, current?.record, record, from);
  if (!check.ok) {
    // A record we already applied (a redelivery, or our own change echoed): acknowledged, not shown (§15.4 step 1).
    if (check.code === 'GROUP_STALE') return { outcome: 'duplicate' };
    return { outcome: 'rejected', code: check.code, detail: check.detail };
  }
  // §15.7: an invitation (into a group we are not in) from a non-contact waits for consent; a pending group stays
  // pending through later records until the user accepts or declines it.
  const invited = current?.member !== true && isMember(record, m.username);
  const invitedBy = current?.invitedBy ?? (invited && !m.store.groups.isContact(from) ? from : null);
  m.store.groups.put(record, opened.body, isMember(record, m.username), now, invitedBy);
  const text = describeChange(record, from);
  m.store.groups.addMessage({
    id,
    conv: groupConv(gid),
    sender: '*',
    body: text,
    ts: opened.ts,
    relayTs,
    receivedAt: now,
  });
  if (invitedBy !== null) {
    if (!invited || current?.invitedBy !== undefined) return { outcome: 'held' };
    const body = `${from} invited you to #${record.name} (${gid.slice(0, 8)}); accept or decline it`;
    return {
      outcome: 'shown',
      message: {
        id,
        kind: 'invite',
        conv: `#${record.name}`,
        gid,
        from,
        body,
        ts: opened.ts,
        relayTs,
        receivedAt: now,
      },
    };
  }
  return {
    outcome: 'shown',
    message: {
      id,
      kind: 'event',
      conv: `#${record.name}`,
      gid,
      from,
      body: text,
      ts: opened.ts,
      relayTs,
      receivedAt: now,
    },
  };
}
