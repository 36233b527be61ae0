/**
 * Disappearing messages (PROTOCOL.md §17.5): setting a conversation's timer (`chat expire`, `/expire`), receiving a
 * setting, and the rule both share — of two settings the one with the greater (ts, setter) wins, so both sides of a
 * conversation end with the same timer whatever order settings cross in. The sweep is expirer.ts.
 */
import { GROUP_ID_BYTES, MessageKind, encodeTimer, fromHex, parseTimer, randomMessageId, toHex } from '@chat/crypto';
import type { QueueFanout, SendControl, Self } from '../context.js';
import { ChatError } from '../errors.js';
import type { FanoutResult, TimerEvent } from '../events.js';
import { resolveConversation } from '../groups/conversation.js';
import { groupConv } from '../groups/groups.js';
import { isMember } from '../groups/state.js';
import type { KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';
import type { Timer } from '../store/timers.js';
import { normalizeUsername } from '../username.js';
import { formatDuration } from './duration.js';

type TimerStore = Pick<
  Store,
  'timers' | 'groups' | 'seen' | 'transaction' | 'history' | 'blocked' | 'contacts' | 'messages'
>;

/** True if setting `next` replaces `current` (§17.5): a greater (setTs, setBy); an equal one is a redelivery. */
export function supersedes(next: Pick<Timer, 'setTs' | 'setBy'>, current: Timer | undefined): boolean {
  if (!current) return true;
  return next.setTs > current.setTs || (next.setTs === current.setTs && next.setBy > current.setBy);
}

/** What `alice set disappearing messages to 1 h` says, from `by`'s side. */
export function describeTimer(by: string, seconds: number): string {
  return seconds === 0
    ? `${by} turned disappearing messages off`
    : `${by} set disappearing messages to ${formatDuration(seconds)}`;
}

export interface TimerContext extends Self, QueueFanout, SendControl {
  readonly store: TimerStore;
}

/** What `chat expire` did. */
export interface TimerOutcome {
  conv: string;
  seconds: number;
  result?: FanoutResult;
}

/**
 * `chat expire <user|#group> <seconds>`: applies the timer here, then announces it in the conversation. In a group
 * only an admin may (§17.5). Messages already stored keep the expiry they had.
 * @throws {ChatError} USAGE (a room), NOT_GROUP_ADMIN, NO_SUCH_GROUP, BLOCKED, BAD_USERNAME; the send's errors.
 */
export async function setTimer(m: TimerContext, target: string, seconds: number): Promise<TimerOutcome> {
  const ts = Date.now();
  if (/^(#|group:|room:)/.test(target)) {
    const c = resolveConversation(m, target);
    if (c.kind === 'room') throw new ChatError('USAGE', 'rooms have no disappearing messages (PROTOCOL.md §17.5)');
    const g = c.group;
    if (!g.record.members.some((x) => x.user === m.username && x.admin))
      throw new ChatError('NOT_GROUP_ADMIN', `only an admin of #${g.record.name} can set its timer`, {
        hint: `chat group members '#${g.record.name}' lists the admins`,
      });
    const body = encodeTimer(MessageKind.groupTimer, { gid: fromHex(g.gid), seconds });
    const conv = groupConv(g.gid);
    const result = await m.queueFanout(
      MessageKind.groupTimer,
      body,
      g.record.members.map((x) => x.user),
      (_id, signed) => {
        m.store.timers.set({ conv, seconds, setBy: m.username, setTs: signed, setAt: Date.now() });
        announce(m.store, g.gid, describeTimer(m.username, seconds), signed, null);
      },
    );
    return { conv: `#${g.record.name}`, seconds, result };
  }
  const peer = normalizeUsername(target);
  if (m.store.blocked.has(peer))
    throw new ChatError('BLOCKED', `you blocked ${peer}: nothing is sent to them`, { hint: `chat unblock ${peer}` });
  m.store.transaction(() => {
    m.store.timers.set({ conv: peer, seconds, setBy: m.username, setTs: ts, setAt: ts });
    announceDirect(m.store, peer, 'out', describeTimer(m.username, seconds), ts, null);
  });
  await m.sendControl(peer, MessageKind.timer, encodeTimer(MessageKind.timer, { seconds }), undefined, ts);
  return { conv: peer, seconds };
}

/** A group's history line (`*`) for a timer setting: in the group conversation like a membership change. */
function announce(store: TimerStore, gid: string, text: string, ts: number, relayTs: number | null): void {
  const id = toHex(randomMessageId());
  store.groups.addMessage({ id, conv: groupConv(gid), sender: '*', body: text, ts, relayTs, receivedAt: Date.now() });
}

/**
 * A 1:1 conversation's line (state `event`, shown like a group's `*` line) for a timer setting: in its history, so
 * `chat history` and the session show it where it happened, on both sides (§17.5).
 */
function announceDirect(
  store: TimerStore,
  peer: string,
  direction: 'in' | 'out',
  text: string,
  ts: number,
  relayTs: number | null,
): void {
  const id = toHex(randomMessageId());
  store.messages.add({ id, peer, direction, body: text, ts, relayTs, receivedAt: Date.now(), state: 'event' });
}

/** The handlers for the timer kinds, 1:1 and group (receive/handlers.ts). */
export function timerHandlers(m: Pick<Self, 'username'> & { readonly store: TimerStore }): [number, KindHandler][] {
  const handle: KindHandler = ({ id, relayTs, opened, later, emit }) => {
    const t = parseTimer(opened.kind, opened.body);
    const from = opened.from;
    const now = Date.now();
    let conv = from;
    let label = from;
    let gid: string | undefined;
    if (t.gid) {
      gid = toHex(t.gid.subarray(0, GROUP_ID_BYTES));
      const g = m.store.groups.get(gid);
      if (!g?.member || !isMember(g.record, from))
        return {
          outcome: 'rejected',
          code: 'GROUP_NOT_MEMBER',
          detail: `${from} is not a member of ${gid.slice(0, 8)}`,
        };
      // §17.5: a group's timer is an admin's to set, judged by the state we hold (as a state record is, §15.4).
      if (!g.record.members.some((x) => x.user === from && x.admin))
        return { outcome: 'rejected', code: 'NOT_GROUP_ADMIN', detail: `${from} is not an admin of #${g.record.name}` };
      conv = groupConv(gid);
      label = `#${g.record.name}`;
    }
    if (m.store.seen.has(id)) return { outcome: 'duplicate' };
    m.store.seen.add([id], now); // a replay of an old setting is a duplicate (§4 step 7), as for §17.3
    const setting = { conv, seconds: t.seconds, setBy: from, setTs: opened.ts, setAt: now };
    const applied = supersedes(setting, m.store.timers.get(conv));
    if (applied) {
      m.store.timers.set(setting);
      if (gid !== undefined) announce(m.store, gid, describeTimer(from, t.seconds), opened.ts, relayTs);
      else announceDirect(m.store, from, 'in', describeTimer(from, t.seconds), opened.ts, relayTs);
    }
    const event: TimerEvent = {
      type: 'expire',
      id,
      from,
      conv: label,
      ...(gid === undefined ? {} : { group: gid }),
      seconds: t.seconds,
      applied,
      ts: opened.ts,
      relayTs,
      receivedAt: now,
    };
    later(() => emit('expire', event));
    return { outcome: 'applied' };
  };
  return [MessageKind.timer, MessageKind.groupTimer].map((k) => [k, handle]);
}
