/**
 * Receiving the group and room kinds (PROTOCOL.md §15.4–§15.6), after §4 steps 1–6 have verified the envelope and
 * its sender: membership changes are checked against the stored state, texts against membership.
 */
import {
  GROUP_ID_BYTES,
  MessageKind,
  fromUtf8,
  groupIdBoundTo,
  groupMessageRef,
  parseMessageAction,
  parseGroupRecord,
  parseRoomText,
  toHex,
  type GroupRecord,
  type OpenedEnvelope,
} from '@chat/crypto';
import { type ReleaseContext, releaseHeldActions } from '../actions/held.js';
import type { Self } from '../context.js';
import type { GroupMessage } from '../events.js';
import type { Delivery, KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';
import { AHEAD_KEEP_MS, keepIfAhead } from './ahead.js';
import { type CrossedContext, isCrossedLeave, removeLeaver } from './crossed-leave.js';
import { describeChange, groupConv } from './groups.js';
import { checkRecord, isInvitation, isMember } from './state.js';

export type GroupOutcome =
  /**
   * `ref`: a group text's or reply's §17.2 reference, which kept actions name (§17.6). `released`: what the changes
   * kept ahead of this one gave when decided after it (§15.4 step 7), to show after it.
   */
  | { outcome: 'shown'; message: GroupMessage; ref?: string; released?: Released }
  /** Kept for a pending invitation (§15.7), or ahead of our state (§15.4 step 7): stored, not shown (yet). */
  | { outcome: 'held'; released?: Released }
  /** From a blocked signer and not a change to a group we accepted (§17.4): acknowledged, neither stored nor shown. */
  | { outcome: 'dropped' }
  /** A leave that crossed our change (§15.4 step 6): we removed the leaver and queued that change; shown. */
  | { outcome: 'queued'; message: GroupMessage; released?: Released }
  | { outcome: 'duplicate' }
  | { outcome: 'rejected'; code: string; detail: string };

/** What kept records gave when their turn came (§15.4 step 7): events to show, and whether a change was queued. */
interface Released {
  shown: GroupMessage[];
  queued: boolean;
}

type GroupContext = Pick<Self, 'username'> &
  ReleaseContext &
  CrossedContext & { readonly store: Pick<Store, 'groups' | 'history' | 'blocked'> };

/**
 * The handlers for the group and room kinds, for the receive table (receive/handlers.ts). `kickOutbox` sends what a
 * handler queued (a crossed leave's removal) once the batch has committed.
 */
export function groupHandlers(m: GroupContext, kickOutbox: () => void): [number, KindHandler][] {
  const handle: KindHandler = (d: Delivery) => {
    const r = applyGroupEnvelope(m, d.id, d.opened, d.relayTs);
    /** What kept records gave (§15.4 step 7), after this envelope's own event. */
    const released = (x: Released | undefined): void => {
      if (x?.queued) d.later(kickOutbox);
      for (const e of x?.shown ?? []) d.later(() => d.emit('groupMessage', e));
    };
    if (r.outcome === 'queued') {
      d.later(kickOutbox);
      d.later(() => d.emit('groupMessage', r.message));
      released(r.released);
      return { outcome: 'new' };
    }
    if (r.outcome === 'held') released(r.released);
    if (r.outcome === 'held' || r.outcome === 'dropped') return { outcome: 'applied' };
    if (r.outcome !== 'shown') return r;
    const message = r.message;
    // §17.6: a group text or reply takes the edits, deletes and reactions that came before it (by its reference).
    const ref = message.kind === 'group' ? r.ref : undefined;
    const held =
      ref === undefined ? undefined : releaseHeldActions(m, `#${message.gid}`, ref, d.id, d.emit, Date.now());
    if (!held?.deleted) d.later(() => d.emit('groupMessage', message));
    for (const e of held?.events ?? []) d.later(e);
    released(r.released);
    return { outcome: 'new' };
  };
  return [MessageKind.groupText, MessageKind.groupReply, MessageKind.groupState, MessageKind.roomText].map((k) => [
    k,
    handle,
  ]);
}

/** The fields of the opened envelope a group record needs: a kept one (§15.4 step 7) is decided from these alone. */
type GroupEnvelope = Pick<OpenedEnvelope, 'kind' | 'from' | 'body' | 'ts'>;

function applyGroupEnvelope(m: GroupContext, id: string, opened: GroupEnvelope, relayTs: number): GroupOutcome {
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
    if (current.invitedBy !== undefined) {
      releaseHeldActions(m, conv, ref, id, () => false, now); // applied, not announced, like the message (§15.7)
      return { outcome: 'held' };
    }
    return {
      outcome: 'shown',
      ref,
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
  // §17.4: from a blocked signer, only the next version of a group we hold and accepted is applied, so that our view of
  // its membership does not fork. An invitation (new or again), a competing version, a change to a pending group or
  // to a competing one: dropped without a row or a notice, so a blocked user cannot pull us into a group.
  const accepted = current?.member === true && current.invitedBy === undefined;
  // §15.4 step 6 whoever signs it: it can only take the signer itself out, which blocking it must not prevent.
  const crossed = !check.ok && isCrossedLeave(m.username, current, record, from, m.store.groups.joinedAt(gid, from));
  const blocked = m.store.blocked.has(from);
  if (blocked && !(check.ok && check.as === 'change' && accepted) && !crossed) return { outcome: 'dropped' };
  if (!check.ok) {
    // A record that does not follow from our version of the group may follow from a competing one: keep that current.
    if (!blocked && advanceCompeting(m, record, opened.body, from, now)) return { outcome: 'held' };
    // Out of the group (we left or were removed), a change that does not bring us back is one we no longer take: a
    // leave that crossed a change (§15.4 step 6) makes them common, so they are acknowledged without a report.
    if (current && !current.member && !isInvitation(m.username, record, from)) return { outcome: 'dropped' };
    if (current && crossed) {
      removeLeaver(m, current, from, relayTs, now);
      const body = `${from} left`;
      const conv = `#${current.record.name}`;
      return {
        outcome: 'queued',
        message: { id, kind: 'event', conv, gid, from, body, ts: opened.ts, relayTs, receivedAt: now },
        released: releaseAhead(m, gid, now),
      };
    }
    // §15.4 step 7: made from a change that has not come yet: kept until it has.
    const e = { id, from, ts: opened.ts, relayTs };
    if (!blocked && keepIfAhead(m, current, record, opened.body, e, now)) return { outcome: 'held' };
    // A record we already applied (a redelivery, or our own change echoed): acknowledged, not shown (§15.4 step 1).
    if (check.code === 'GROUP_STALE') return { outcome: 'duplicate' };
    return { outcome: 'rejected', code: check.code, detail: check.detail };
  }
  const notice = (body: string, competing = false): GroupOutcome => ({
    outcome: 'shown',
    message: {
      ...{ id, kind: 'invite', conv: `#${record.name}`, gid, from, body, ts: opened.ts, relayTs, receivedAt: now },
      ...(competing ? { competing: true } : {}),
    },
  });
  const creator = groupIdBoundTo(record.gid, from) ? '' : `; its id does not show that ${from} created it`;
  if (check.as === 'competing') {
    // §15.4 step 4: another version of a group we hold. Kept beside ours for the user, never applied by itself.
    m.store.groups.putInvitation(from, opened.body, now);
    return notice(
      `${from} also invited you to #${record.name} (${gid.slice(0, 8)}), in a version that does not agree with yours` +
        `${creator}; accept it to take it instead, or decline it`,
      true,
    );
  }
  // §15.7: an invitation waits for consent unless we never held this group, the inviter is a contact, and the id is
  // bound to the inviter (it created the group). A re-invitation always asks: we cannot know who is admin now.
  // A pending group stays pending through later records until the user accepts or declines it.
  const invitedBy =
    check.as === 'change'
      ? (current?.invitedBy ?? null)
      : current === undefined && creator === '' && m.store.groups.isContact(from)
        ? null
        : from;
  m.store.groups.put(record, opened.body, isMember(record, m.username), now, invitedBy, check.as === 'change');
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
  // §15.4 step 7: what was kept ahead of this change, decided now that it has come.
  const released = check.as === 'change' ? releaseAhead(m, gid, now) : undefined;
  if (invitedBy !== null) {
    if (check.as === 'change') return { outcome: 'held', released };
    const again = current === undefined ? '' : '; you had left it or been removed';
    return notice(
      `${from} invited you to #${record.name} (${gid.slice(0, 8)})${creator}${again}; accept or decline it`,
    );
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
    released,
  };
}

/** Applies `record` to every competing invitation of its group that it follows from (§15.4 step 4); any applied? */
function advanceCompeting(m: GroupContext, record: GroupRecord, bytes: Uint8Array, from: string, now: number): boolean {
  let applied = false;
  for (const inv of m.store.groups.invitations(toHex(record.gid))) {
    const c = checkRecord(m.username, inv.record, record, from);
    if (c.ok && c.as === 'change') {
      m.store.groups.putInvitation(inv.inviter, bytes, now);
      applied = true;
    }
  }
  return applied;
}

/**
 * §15.4 step 7: after a change to `gid` was applied, each record kept for the next version is decided as if it came
 * now, in the order they came, by the same steps as any record (applyGroupEnvelope: steps 3–6, §17.4): the first
 * that follows is applied (and, in turn, releases the next version's); the rest are stale then, or leaves that
 * crossed it (step 6). A kept record that is refused now is dropped without a report: it was acknowledged long ago.
 */
function releaseAhead(m: GroupContext, gid: string, now: number): Released {
  const out: Released = { shown: [], queued: false };
  const c = m.store.groups.get(gid);
  if (c === undefined || !c.member) return out;
  for (const k of m.store.groups.takeAhead(gid, c.record.version + 1, now - AHEAD_KEEP_MS)) {
    const opened = { kind: MessageKind.groupState, from: k.signer, body: k.record, ts: k.ts };
    const r = applyGroupEnvelope(m, k.id, opened, k.relayTs);
    if (r.outcome === 'shown' || r.outcome === 'queued') out.shown.push(r.message);
    if (r.outcome === 'queued') out.queued = true;
    if (r.outcome === 'shown' || r.outcome === 'queued' || r.outcome === 'held') {
      out.shown.push(...(r.released?.shown ?? []));
      out.queued ||= r.released?.queued === true;
    }
  }
  return out;
}
