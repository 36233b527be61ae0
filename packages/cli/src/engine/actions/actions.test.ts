/** The rules of PROTOCOL.md §17.3 and the history pages, on a real in-memory store (no relay, no keys). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { MAX_SEARCH_CHARS, history, limitArg, search } from './history.js';
import { applyAction, type TargetRef } from './rules.js';

const hex = (n: number) => n.toString(16).padStart(32, '0');

describe('edits, deletes and reactions (§17.3)', () => {
  let store: Store;
  const me = 'bob';
  const direct = (id: string, peer = 'alice'): TargetRef => ({ kind: 'direct', peer, id });
  beforeEach(() => {
    store = Store.open(':memory:', new Uint8Array(32));
    store.messages.add({ id: hex(1), peer: 'alice', direction: 'in', body: 'v0', ts: 1, relayTs: 1, receivedAt: 10 });
    store.messages.add({
      id: hex(2),
      peer: 'alice',
      direction: 'out',
      body: 'mine',
      ts: 2,
      relayTs: null,
      receivedAt: 20,
    });
    store.messages.add({
      id: hex(3),
      peer: 'carol',
      direction: 'in',
      body: 'other',
      ts: 3,
      relayTs: 3,
      receivedAt: 30,
    });
  });
  afterEach(() => store.close());

  it('only the sender edits or deletes; the target must be in the conversation and known', () => {
    const edit = { op: 'edit' as const, author: 'alice', seq: 1, text: 'x', ts: 5 };
    expect(applyAction(store.history, direct(hex(2)), edit, me, 50)).toMatchObject({ ok: false, code: 'NOT_AUTHOR' });
    expect(applyAction(store.history, direct(hex(3)), edit, me, 50)).toMatchObject({
      ok: false,
      code: 'TARGET_WRONG_CONVERSATION',
    });
    expect(applyAction(store.history, direct(hex(9)), edit, me, 50)).toMatchObject({
      ok: false,
      code: 'TARGET_UNKNOWN',
    });
    const del = { op: 'delete' as const, author: 'alice', ts: 5 };
    expect(applyAction(store.history, direct(hex(2)), del, me, 50)).toMatchObject({ ok: false, code: 'NOT_AUTHOR' });
    // Our own message, edited by us (the sender's local apply).
    expect(applyAction(store.history, direct(hex(2)), { ...edit, author: me }, me, 50)).toMatchObject({ ok: true });
    expect(store.history.byId(hex(2))).toMatchObject({ body: 'x', editSeq: 1 });
  });

  it('the highest edit seq wins whatever the order of arrival; every version is kept', () => {
    const at = (seq: number, text: string) =>
      applyAction(store.history, direct(hex(1)), { op: 'edit', author: 'alice', seq, text, ts: seq }, me, 100 + seq);
    expect(at(2, 'v2')).toMatchObject({ ok: true, current: true });
    expect(at(1, 'v1')).toMatchObject({ ok: true, current: false }); // late: kept, not shown
    expect(at(2, 'v2')).toMatchObject({ ok: true, changed: false }); // a redelivery
    const [e] = history({ username: me, store }, 'alice', { limit: 1, before: hex(2) }).entries;
    expect(e).toMatchObject({ id: hex(1), body: 'v2', edited: true });
    expect(e!.versions!.map((v) => [v.seq, v.body])).toEqual([
      [0, 'v0'],
      [1, 'v1'],
      [2, 'v2'],
    ]);
    expect(at(3, 'v3')).toMatchObject({ ok: true, current: true });
    expect(store.history.byId(hex(1))?.body).toBe('v3');
  });

  it('a delete empties the message and refuses later edits and reactions; a reaction replaces, "" removes', () => {
    let now = 0;
    const react = (author: string, emoji: string) =>
      applyAction(store.history, direct(hex(1)), { op: 'reaction', author, emoji, ts: 1 }, me, ++now);
    expect(react('alice', '👍')).toMatchObject({ ok: true });
    expect(react('bob', '🎉')).toMatchObject({ ok: true });
    expect(react('alice', '❤️')).toMatchObject({ ok: true });
    const reactions = () => history({ username: me, store }, 'alice').entries[0]!.reactions;
    expect(reactions()).toEqual([
      { from: 'bob', emoji: '🎉' },
      { from: 'alice', emoji: '❤️' },
    ]);
    expect(react('bob', '')).toMatchObject({ ok: true });
    expect(reactions()).toEqual([{ from: 'alice', emoji: '❤️' }]);
    const del = { op: 'delete' as const, author: 'alice', ts: 5 };
    expect(applyAction(store.history, direct(hex(1)), del, me, 5)).toMatchObject({ ok: true, changed: true });
    expect(applyAction(store.history, direct(hex(1)), del, me, 6)).toMatchObject({ ok: true, changed: false });
    expect(store.history.byId(hex(1))).toMatchObject({ body: '', deleted: true });
    // What the interactive session draws from (Messenger.history) shows the marker, not an empty line.
    expect(store.messages.list({ peer: 'alice' })[0]).toMatchObject({ id: hex(1), body: 'message deleted' });
    expect(reactions()).toEqual([]);
    expect(react('bob', '👍')).toMatchObject({ ok: false, code: 'TARGET_DELETED' });
    expect(
      applyAction(store.history, direct(hex(1)), { op: 'edit', author: 'alice', seq: 9, text: 'back', ts: 9 }, me, 9),
    ).toMatchObject({ ok: false, code: 'TARGET_DELETED' });
    expect(search({ username: me, store }, 'v0')).toEqual([]);
  });

  it('delete for me forgets the row and remembers its id as seen (a redelivery stays a duplicate)', () => {
    store.history.forget(store.history.byId(hex(1))!, 5);
    expect(store.history.byId(hex(1))).toBeUndefined();
    expect(store.seen.has(hex(1))).toBe(true);
  });
});

describe('history pages and search', () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(':memory:', new Uint8Array(32));
    // Two messages share a receive time: the commit order (rowid) breaks the tie, both in pages and in `before`.
    for (let i = 0; i < 7; i++)
      store.messages.add({
        id: hex(i + 1),
        peer: 'alice',
        direction: i % 2 ? 'out' : 'in',
        body: `note ${i}${i === 3 ? ' Deploy' : ''}`,
        ts: i,
        relayTs: null,
        receivedAt: i === 4 ? 300 : i * 100,
      });
  });
  afterEach(() => store.close());

  it('keyset pages walk back through the whole conversation without gaps or repeats', () => {
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const { entries } = history({ username: 'bob', store }, 'alice', { limit: 3, ...(before ? { before } : {}) });
      if (entries.length === 0) break;
      seen.unshift(...entries.map((e) => e.body));
      before = entries[0]!.id;
    }
    expect(seen).toEqual(['note 0', 'note 1', 'note 2', 'note 3 Deploy', 'note 4', 'note 5', 'note 6']);
  });

  it('an index serves a page: no table scan, no sort', () => {
    for (const group of [false, true]) {
      const plan = store.history.explainPage(group);
      expect(plan).toMatch(/USING INDEX (messages_by_peer_received|group_messages_by_conv)/);
      expect(plan).not.toMatch(/TEMP B-TREE|SCAN messages|SCAN group_messages/);
    }
  });

  it('search is case-insensitive for ASCII, newest first, and names who wrote it', () => {
    expect(search({ username: 'bob', store }, 'deploy').map((e) => [e.body, e.from])).toEqual([
      ['note 3 Deploy', 'bob'],
    ]);
    expect(search({ username: 'bob', store }, 'NOTE', { limit: 2 }).map((e) => e.body)).toEqual(['note 6', 'note 5']);
  });

  it('--limit outside 1..MAX, or not a number, is USAGE naming what it got', () => {
    expect(limitArg(undefined)).toBeGreaterThan(0);
    expect(() => limitArg(0)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/got 0$/) }),
    );
    expect(() => limitArg(Number.NaN)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/got something that is not a number$/) }),
    );
  });

  it('search refuses a text too long for SQLite, or holding a NUL that matched everything, as USAGE (hunt2)', () => {
    for (const text of ['a'.repeat(MAX_SEARCH_CHARS + 1), 'a'.repeat(49_999), 'note\u0000', '\u0000'])
      expect(() => search({ username: 'bob', store }, text), text.slice(0, 8)).toThrow(
        expect.objectContaining({ code: 'USAGE' }),
      );
    expect(search({ username: 'bob', store }, 'a'.repeat(MAX_SEARCH_CHARS))).toEqual([]);
  });
});
