/** Schema v2 of the local store: outbox, forward-only delivery states, read marks, conversations (real SQLite). */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { MessageKind, SENDER_KEY_KIND, SENDER_KEY_REQUEST_KIND } from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir, testDb } from '../../../test/helpers.js';
import { isDirect } from './blocked.js';
import { Outbox } from './outbox.js';
import { Statements } from './statements.js';
import { Store, type StoredMessage } from './store.js';

let t: ReturnType<typeof tempDir>;
let store: Store;
const out = (id: string, peer = 'bob', ts = 1): StoredMessage => ({
  id,
  peer,
  direction: 'out',
  body: `to ${peer}`,
  ts,
  relayTs: null,
  receivedAt: ts,
  state: 'queued',
});

beforeEach(() => {
  t = tempDir('outbox');
  store = Store.open(join(t.dir, 'chat.db'), TEST_STORAGE_KEY);
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('Outbox', () => {
  it('blocking a user drops the receipts still queued for them (§17.4) and names the texts it holds', () => {
    const K = MessageKind;
    const entry = (id: string, peer: string, kind: number, extra: object = {}) => ({
      id,
      peer,
      kind,
      body: Uint8Array.of(kind),
      ts: 1,
      ...extra,
    });
    store.outbox.enqueue(entry('r1', 'mallory', K.delivered));
    store.outbox.enqueue(entry('t1', 'mallory', K.text), out('t1', 'mallory'));
    store.outbox.enqueue(entry('r2', 'mallory', K.read));
    store.outbox.enqueue(entry('p1', 'mallory', K.reply), out('p1', 'mallory'));
    store.outbox.enqueue(entry('e1', 'mallory', K.edit));
    store.outbox.enqueue(entry('g1', 'mallory', K.groupText, { fanout: 'f' }));
    store.outbox.enqueue(entry('r3', 'bob', K.delivered));
    store.outbox.enqueue(entry('t2', 'bob', K.text), out('t2', 'bob'));
    // Queued again for a resend (§24.7): the history says `sent` already, so it is not one of the held texts.
    store.messages.add({ ...out('s1', 'mallory'), state: 'sent' });
    store.outbox.enqueue(entry('s1', 'mallory', K.text));

    const block = (now: number) => ({
      changed: store.blocked.block('mallory', now),
      held: store.blocked.queuedFor('mallory'),
    });
    expect(block(5)).toEqual({ changed: true, held: ['t1', 'p1'] });
    expect(store.outbox.list().map((e) => e.id)).toEqual(['t1', 'p1', 'e1', 'g1', 'r3', 't2', 's1']);
    expect(block(6)).toEqual({ changed: false, held: ['t1', 'p1'] });
    expect(store.blocked.unblock('mallory')).toBe(true);
    expect(store.blocked.queuedFor('mallory')).toEqual(['t1', 'p1']);
  });

  it('what a block holds: 1:1 kinds and sender key requests; not a group copy or a sender key distribution', () => {
    const held = (kind: number, fanout?: string) => isDirect({ kind, fanout });
    for (const kind of [1, 2, 3, 5, 6, 7, 8, 9, 0x0a, 0x0b, 0x0c, SENDER_KEY_REQUEST_KIND])
      expect(held(kind)).toBe(true);
    for (const kind of [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, SENDER_KEY_KIND])
      expect(held(kind)).toBe(false);
    expect(held(MessageKind.groupText, 'f')).toBe(false);
    expect(held(MessageKind.text, 'f')).toBe(false);
  });

  it('removes a sent entry (outside a transaction, at synchronous = NORMAL), leaving the connection at FULL', () => {
    store.outbox.enqueue({ id: 's1', peer: 'bob', kind: 4, body: Uint8Array.of(1), ts: 1 });
    store.outbox.enqueue({ id: 's2', peer: 'bob', kind: 4, body: Uint8Array.of(2), ts: 2 });
    store.close();
    const db = testDb(join(t.dir, 'chat.db'));
    try {
      db.pragma('synchronous = FULL');
      const outbox = new Outbox(db, new Statements(db));
      const levels: unknown[] = [];
      levels.push(db.pragma('synchronous', { simple: true }));
      expect(outbox.removeSent('s1')).toBe(true);
      expect(outbox.removeSent('s1')).toBe(false);
      levels.push(db.pragma('synchronous', { simple: true }));
      // Inside a transaction it is part of that transaction (and its fsync), the level untouched.
      db.transaction(() => {
        expect(outbox.removeSent('s2')).toBe(true);
        levels.push(db.pragma('synchronous', { simple: true }));
      })();
      expect(levels).toEqual([2, 2, 2]);
      expect(outbox.list()).toEqual([]);
    } finally {
      db.close();
      store = Store.open(join(t.dir, 'chat.db'), TEST_STORAGE_KEY);
    }
  });

  it('keeps entries in queue order with their ids, until removed', () => {
    store.outbox.enqueue({ id: 'b1', peer: 'bob', kind: 1, body: Uint8Array.of(1), ts: 5 }, out('b1'));
    store.outbox.enqueue({ id: 'a1', peer: 'carol', kind: 2, body: new Uint8Array(16), ts: 4 });
    expect(store.outbox.list().map((e) => e.id)).toEqual(['b1', 'a1']);
    expect(store.messages.list().map((m) => [m.id, m.state])).toEqual([['b1', 'queued']]);
    expect(store.outbox.remove('b1')).toBe(true);
    expect(store.outbox.remove('b1')).toBe(false);
    expect(store.outbox.list().map((e) => e.id)).toEqual(['a1']);
  });

  it('refuses a second entry with the same id (the id is chosen once, when queued)', () => {
    store.outbox.enqueue({ id: 'x', peer: 'bob', kind: 1, body: Uint8Array.of(1), ts: 1 });
    expect(() => store.outbox.enqueue({ id: 'x', peer: 'bob', kind: 1, body: Uint8Array.of(1), ts: 1 })).toThrow();
  });

  it('moves states only forward, only for the named peer; failed only from queued', () => {
    store.outbox.enqueue({ id: 'm', peer: 'bob', kind: 1, body: Uint8Array.of(1), ts: 1 }, out('m'));
    const state = () => store.messages.list()[0]?.state;
    expect(store.outbox.advance('m', 'carol', 'read')).toBe(false);
    expect(store.outbox.advance('m', 'bob', 'sent')).toBe(true);
    expect(store.outbox.advance('m', 'bob', 'failed')).toBe(false);
    expect(store.outbox.advance('m', 'bob', 'read')).toBe(true);
    expect(store.outbox.advance('m', 'bob', 'delivered')).toBe(false);
    expect(store.outbox.advance('m', 'bob', 'read')).toBe(false);
    expect(state()).toBe('read');
  });

  it('withdraw removes the entry and its history row', () => {
    store.outbox.enqueue({ id: 'w', peer: 'bob', kind: 1, body: Uint8Array.of(1), ts: 1 }, out('w'));
    store.outbox.withdraw('w');
    expect(store.outbox.list()).toEqual([]);
    expect(store.messages.list()).toEqual([]);
  });

  it('markRead returns the unread ids of one peer once; conversations count unread, mute and last seen', () => {
    const inc = (id: string, peer: string, ts: number): StoredMessage => ({
      id,
      peer,
      direction: 'in',
      body: 'x',
      ts,
      relayTs: ts,
      receivedAt: ts,
      state: 'unread',
    });
    store.messages.add(inc('1', 'bob', 10));
    store.messages.add(inc('2', 'bob', 20));
    store.messages.add(inc('3', 'carol', 30));
    store.outbox.setMuted('carol', true);
    store.outbox.setLastSeen('bob', 100);
    store.outbox.setLastSeen('bob', 50);
    expect(store.outbox.conversations()).toEqual([
      { peer: 'carol', unread: 1, lastTs: 30, muted: true, lastSeen: null },
      { peer: 'bob', unread: 2, lastTs: 20, muted: false, lastSeen: 100 },
    ]);
    expect(store.outbox.markRead('bob')).toEqual(['1', '2']);
    expect(store.outbox.markRead('bob')).toEqual([]);
    expect(store.outbox.conversations().find((c) => c.peer === 'bob')?.unread).toBe(0);
    expect(store.outbox.isMuted('carol')).toBe(true);
    store.outbox.setMuted('carol', false);
    expect(store.outbox.isMuted('carol')).toBe(false);
  });

  it('migrates a version-1 database: old rows keep no state, the outbox starts empty', () => {
    const path = join(t.dir, 'v1.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE contacts (username TEXT PRIMARY KEY, idpk BLOB NOT NULL, encpk BLOB NOT NULL, fingerprint TEXT NOT NULL, first_seen INTEGER NOT NULL) STRICT;
      CREATE TABLE messages (id TEXT PRIMARY KEY, peer TEXT NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('in', 'out')), body TEXT NOT NULL, ts INTEGER NOT NULL, relay_ts INTEGER, received_at INTEGER NOT NULL) STRICT;
      CREATE INDEX messages_by_peer ON messages (peer, ts);
      CREATE TABLE rejected (id TEXT PRIMARY KEY, reason TEXT NOT NULL, relay_ts INTEGER, rejected_at INTEGER NOT NULL) STRICT;
      INSERT INTO messages VALUES ('old', 'bob', 'out', 'hi', 1, NULL, 1);
      PRAGMA user_version = 1;`);
    db.close();
    const v2 = Store.open(path, TEST_STORAGE_KEY);
    try {
      expect(v2.messages.list()).toMatchObject([{ id: 'old', state: null }]);
      expect(v2.outbox.list()).toEqual([]);
      expect(v2.outbox.advance('old', 'bob', 'delivered')).toBe(true);
    } finally {
      v2.close();
    }
  });
});
