/**
 * Disappearing messages (PROTOCOL.md §17.5) on a real in-memory store: durations, the setting rule both sides share
 * (the greater (ts, setter) wins, so crossing settings converge), the receive checks of a group timer, and the sweep.
 */
import {
  MessageKind,
  encodeGroupRecord,
  encodeMessageAction,
  encodeTimer,
  fromHex,
  type OpenedEnvelope,
} from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { formatDuration, parseDuration } from './duration.js';
import { sweepExpired } from './expirer.js';
import { supersedes, timerHandlers } from './timers.js';

const hex = (n: number) => n.toString(16).padStart(32, '0');

describe('durations', () => {
  it('reads 30s, 5m, 1h, 2d, 1w, bare seconds and off; refuses the rest', () => {
    expect([parseDuration('30s'), parseDuration('5m'), parseDuration('1H'), parseDuration('2d')]).toEqual([
      30, 300, 3600, 172_800,
    ]);
    expect([parseDuration('1w'), parseDuration('90'), parseDuration('off'), parseDuration('0')]).toEqual([
      604_800, 90, 0, 0,
    ]);
    for (const bad of ['', '1y', '-5m', '1.5h', '366d', 'soon'])
      expect(() => parseDuration(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    // The hint shows the form, not somebody's name (it said 'chat expire bob 1h' to everyone: hunt1).
    expect(() => parseDuration('1x')).toThrow(
      expect.objectContaining({ hint: 'for example: chat expire <user|#group> 1h, or chat expire <user|#group> off' }),
    );
    expect([formatDuration(3600), formatDuration(90), formatDuration(120), formatDuration(0)]).toEqual([
      '1 h',
      '90 s',
      '2 min',
      'off',
    ]);
  });
});

describe('timer settings and the sweep', () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(':memory:', new Uint8Array(32));
  });
  afterEach(() => store.close());

  const deliver = (from: string, kind: number, body: Uint8Array, ts: number, id = hex(ts)) => {
    const handler = new Map(timerHandlers({ username: 'bob', store })).get(kind)!;
    const events: unknown[] = [];
    const opened = { kind, from, to: 'bob', id: fromHex(id), ts, body } as unknown as OpenedEnvelope;
    const r = handler({
      id,
      relayTs: ts,
      opened,
      later: (e) => e(),
      emit: ((_: string, e: unknown) => events.push(e)) as never,
    });
    return { r, events };
  };

  it('two settings that cross converge on the greater (ts, setter), in either order', () => {
    const a = { setTs: 100, setBy: 'alice' };
    const b = { setTs: 100, setBy: 'bob' };
    const c = { setTs: 101, setBy: 'alice' };
    const timer = (x: { setTs: number; setBy: string }) => ({ conv: 'x', seconds: 1, setAt: 0, ...x });
    expect([supersedes(b, timer(a)), supersedes(a, timer(b))]).toEqual([true, false]);
    expect([supersedes(c, timer(b)), supersedes(b, timer(c))]).toEqual([true, false]);
    expect(supersedes(a, timer(a))).toBe(false); // a redelivery
    // Received late, an older setting is reported but not applied.
    deliver('alice', MessageKind.timer, encodeTimer(MessageKind.timer, { seconds: 60 }), 200);
    const late = deliver('alice', MessageKind.timer, encodeTimer(MessageKind.timer, { seconds: 5 }), 150);
    expect(late.events).toEqual([expect.objectContaining({ type: 'expire', seconds: 5, applied: false })]);
    expect(store.timers.get('alice')).toMatchObject({ seconds: 60, setTs: 200 });
    expect(deliver('alice', MessageKind.timer, encodeTimer(MessageKind.timer, { seconds: 5 }), 150).r).toEqual({
      outcome: 'duplicate',
    });
  });

  it('a group timer is refused from a member who is not an admin, and from a non-member', () => {
    const gid = fromHex(hex(7));
    const members = [
      { user: 'alice', admin: true },
      { user: 'bob', admin: false },
      { user: 'carol', admin: false },
    ];
    const record = { gid, version: 1, op: 'create' as const, subject: '', name: 'crew', members };
    store.groups.put(record, encodeGroupRecord(record), true, 0);
    const body = encodeTimer(MessageKind.groupTimer, { gid, seconds: 60 });
    expect(deliver('carol', MessageKind.groupTimer, body, 1).r).toMatchObject({
      outcome: 'rejected',
      code: 'NOT_GROUP_ADMIN',
    });
    expect(deliver('mallory', MessageKind.groupTimer, body, 2).r).toMatchObject({
      outcome: 'rejected',
      code: 'GROUP_NOT_MEMBER',
    });
    expect(store.timers.get(`#${hex(7)}`)).toBeUndefined();
    expect(deliver('alice', MessageKind.groupTimer, body, 3).r).toEqual({ outcome: 'applied' });
    expect(store.timers.get(`#${hex(7)}`)).toMatchObject({ seconds: 60, setBy: 'alice' });
    expect(store.groups.messages(`#${hex(7)}`).map((x) => x.body)).toEqual([
      'alice set disappearing messages to 1 min',
    ]);
  });

  it('rows stored while a timer is on expire at commit time + timer; the sweep removes them with reactions', () => {
    const add = (n: number, receivedAt: number) =>
      store.messages.add({ id: hex(n), peer: 'alice', direction: 'in', body: `m${n}`, ts: 0, relayTs: 0, receivedAt });
    add(1, 1_000); // before the timer: never expires
    store.timers.set({ conv: 'alice', seconds: 10, setBy: 'alice', setTs: 1, setAt: 1 });
    add(2, 2_000);
    store.history.setReaction(hex(2), 'bob', '👍', 2_001);
    expect(store.timers.nextExpiry()).toBe(12_000);
    expect(sweepExpired(store, 11_999)).toBeUndefined();
    expect(sweepExpired(store, 12_000)).toEqual({ type: 'expired', ids: [hex(2)], files: [] });
    expect(store.messages.list({ peer: 'alice' }).map((m) => m.body)).toEqual(['m1']);
    expect(store.history.byId(hex(2))).toBeUndefined();
    expect(store.seen.has(hex(2))).toBe(true);
    expect(store.timers.nextExpiry()).toBeUndefined();
  });

  it('a message still in the outbox when it expires is never sent: its outbox entries go with it (1:1 and group)', () => {
    store.timers.set({ conv: 'carol', seconds: 10, setBy: 'bob', setTs: 1, setAt: 1 });
    const body = new Uint8Array([1]);
    const queued = { peer: 'carol', direction: 'out' as const, body: 'later', ts: 1_000, relayTs: null };
    store.outbox.enqueue(
      { id: hex(1), peer: 'carol', kind: MessageKind.text, body, ts: 1_000 },
      { id: hex(1), ...queued, receivedAt: 1_000, state: 'queued' },
    );
    // A group send: one entry per recipient (one fanout), the history row under the first entry's id.
    const gid = hex(0x99);
    store.timers.set({ conv: `#${gid}`, seconds: 10, setBy: 'bob', setTs: 1, setAt: 1 });
    store.transaction(() => {
      for (const [n, peer] of [
        [2, 'carol'],
        [3, 'dave'],
      ] as const)
        store.outbox.enqueue({ id: hex(n), peer, kind: MessageKind.groupText, body, ts: 1_000, fanout: hex(9) });
      store.groups.addMessage({
        id: hex(2),
        conv: `#${gid}`,
        sender: 'bob',
        body: 'g',
        ts: 1_000,
        relayTs: null,
        receivedAt: 1_000,
      });
    });
    // Something else queued for carol (a receipt) stays.
    store.outbox.enqueue({ id: hex(4), peer: 'carol', kind: MessageKind.read, body, ts: 1_000 });
    expect(sweepExpired(store, 11_000)).toEqual({ type: 'expired', ids: [hex(1), hex(2)], files: [] });
    expect(store.outbox.list().map((e) => e.id)).toEqual([hex(4)]);
  });

  it('a queued edit, delete or reaction of a message that expires is never sent: it goes with its target', () => {
    // Sent, then edited and reacted to while the relay was unreachable: the actions wait in the outbox (§17.3).
    store.timers.set({ conv: 'carol', seconds: 10, setBy: 'bob', setTs: 1, setAt: 1 });
    const sent = { peer: 'carol', direction: 'out' as const, body: 'typo', ts: 1_000, relayTs: 1_000 };
    store.messages.add({ id: hex(1), ...sent, receivedAt: 1_000 });
    const target = fromHex(hex(1));
    const edit = encodeMessageAction(MessageKind.edit, { op: 'edit', target, seq: 1, text: 'fixed' });
    const react = encodeMessageAction(MessageKind.reaction, { op: 'reaction', target, emoji: '👍' });
    const del = encodeMessageAction(MessageKind.delete, { op: 'delete', target });
    store.outbox.enqueue({ id: hex(2), peer: 'carol', kind: MessageKind.edit, body: edit, ts: 2_000 });
    store.outbox.enqueue({ id: hex(3), peer: 'carol', kind: MessageKind.reaction, body: react, ts: 2_000 });
    // The same id of another conversation's message, and an action on a message that does not expire: both stay.
    store.outbox.enqueue({ id: hex(4), peer: 'dave', kind: MessageKind.delete, body: del, ts: 2_000 });
    // A group message and a reaction to it, fanned out to two members (one entry each, one fanout).
    const gid = hex(0x99);
    store.timers.set({ conv: `#${gid}`, seconds: 10, setBy: 'bob', setTs: 1, setAt: 1 });
    const ref = hex(0x77);
    store.groups.addMessage({
      id: hex(5),
      conv: `#${gid}`,
      sender: 'alice',
      body: 'g',
      ts: 1_000,
      relayTs: 1_000,
      receivedAt: 1_000,
      ref,
    });
    const gReact = encodeMessageAction(MessageKind.groupReaction, {
      op: 'reaction',
      gid: fromHex(gid),
      target: fromHex(ref),
      emoji: '🎉',
    });
    store.transaction(() => {
      for (const [n, peer] of [
        [6, 'alice'],
        [7, 'carol'],
      ] as const)
        store.outbox.enqueue({
          id: hex(n),
          peer,
          kind: MessageKind.groupReaction,
          body: gReact,
          ts: 2_000,
          fanout: hex(8),
        });
    });
    // A reply is a message of its own (§17.1): it stays queued, and is shown without its quote.
    store.outbox.enqueue({ id: hex(9), peer: 'carol', kind: MessageKind.reply, body: edit, ts: 2_000 });
    expect(sweepExpired(store, 11_000)).toEqual({ type: 'expired', ids: [hex(1), hex(5)], files: [] });
    expect(store.outbox.list().map((e) => e.id)).toEqual([hex(4), hex(9)]);
  });
});
