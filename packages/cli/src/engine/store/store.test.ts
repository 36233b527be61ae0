import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir, testDb } from '../../../test/helpers.js';
import { ChatError } from '../errors.js';
import { SCHEMA_VERSION, Store, type StoredMessage } from './store.js';

const msg = (id: string, over: Partial<StoredMessage> = {}): StoredMessage => ({
  id,
  peer: 'bob',
  direction: 'in',
  body: `body ${id}`,
  ts: 1000,
  relayTs: 2000,
  receivedAt: 3000,
  state: null,
  ...over,
});

describe('Store', () => {
  let t: ReturnType<typeof tempDir>;
  let path: string;
  let store: Store;
  beforeEach(() => {
    t = tempDir('store');
    path = join(t.dir, 'p', 'chat.db');
    store = Store.open(path, TEST_STORAGE_KEY);
  });
  afterEach(() => {
    store.close();
    t.cleanup();
  });

  it('creates the database 0600 with WAL and the schema version', () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
    store.messages.add(msg('01'));
    // SQLite gives the -wal file the main file's permissions.
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    const db = testDb(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('commits a message id once (INSERT OR IGNORE, §4 step 7)', () => {
    expect(store.messages.add(msg('aa'))).toBe(true);
    expect(store.messages.add(msg('aa', { body: 'replayed' }))).toBe(false);
    expect(store.messages.has('aa')).toBe(true);
    expect(store.messages.list()).toEqual([msg('aa')]);
  });

  // Issue 14, finding 13: the sender's ts is their claim; a backdated or far-future one must not move a message.
  it("lists history per peer in receive order (received_at, then insertion), never the sender's ts; newest `limit`", () => {
    store.messages.add(msg('01', { ts: Number.MAX_SAFE_INTEGER, receivedAt: 10 }));
    store.messages.add(msg('02', { ts: 20, receivedAt: 20, peer: 'carol', direction: 'out', relayTs: null }));
    store.messages.add(msg('03', { ts: 0, receivedAt: 30 }));
    store.messages.add(msg('04', { ts: 5, receivedAt: 30 }));
    expect(store.messages.list().map((m) => m.id)).toEqual(['01', '02', '03', '04']);
    expect(store.messages.list({ peer: 'bob' }).map((m) => m.id)).toEqual(['01', '03', '04']);
    expect(store.messages.list({ limit: 2 }).map((m) => m.id)).toEqual(['03', '04']);
    expect(store.messages.list({ peer: 'carol' })[0]?.relayTs).toBeNull();
    // The conversation list and read receipts follow the same order.
    expect(store.outbox.conversations().map((c) => [c.peer, c.lastTs])).toEqual([
      ['bob', 30],
      ['carol', 20],
    ]);
  });

  it('pins the first key of a contact and keeps it', () => {
    const first = {
      username: 'bob',
      identityPublicKey: new Uint8Array(32).fill(1),
      encryptionPublicKey: new Uint8Array(32).fill(2),
      fingerprint: 'F1',
      firstSeen: 5,
      trust: 'unverified' as const,
      verifiedAt: null,
      pending: null,
    };
    expect(store.contacts.pin(first)).toEqual(first);
    const second = { ...first, identityPublicKey: new Uint8Array(32).fill(9), fingerprint: 'F2', firstSeen: 6 };
    expect(store.contacts.pin(second)).toEqual(first);
    expect(store.contacts.get('bob')).toEqual(first);
    expect(store.contacts.get('carol')).toBeUndefined();
    expect(store.contacts.list()).toEqual([first]);
  });

  it('records a changed key as pending, and accepting it clears the pending key', () => {
    const key = (b: number) => ({
      identityPublicKey: new Uint8Array(32).fill(b),
      encryptionPublicKey: new Uint8Array(32).fill(b + 1),
      fingerprint: `F${b}`,
    });
    store.contacts.pin({ username: 'bob', ...key(1), firstSeen: 5 });
    expect(store.contacts.acceptKey('bob', undefined, 'verified', 7)).toMatchObject({
      trust: 'verified',
      verifiedAt: 7,
      fingerprint: 'F1',
    });
    const changed = store.contacts.markChanged('bob', { ...key(3), seenAt: 9 });
    expect(changed).toMatchObject({
      trust: 'changed',
      verifiedAt: null,
      fingerprint: 'F1',
      pending: { ...key(3), seenAt: 9 },
    });
    // Seeing the same pending key again keeps when it was first seen.
    expect(store.contacts.markChanged('bob', { ...key(3), seenAt: 11 }).pending?.seenAt).toBe(9);
    const accepted = store.contacts.acceptKey('bob', key(3), 'unverified', 12);
    expect(accepted).toMatchObject({
      trust: 'unverified',
      verifiedAt: null,
      fingerprint: 'F3',
      pending: null,
      firstSeen: 5,
    });
    expect(accepted.identityPublicKey).toEqual(new Uint8Array(32).fill(3));
  });

  it('migrates a version 1 database: contacts become unverified', () => {
    store.close();
    const v1 = join(t.dir, 'v1.db');
    const db = new Database(v1);
    db.exec(`CREATE TABLE contacts (username TEXT PRIMARY KEY, idpk BLOB NOT NULL, encpk BLOB NOT NULL, fingerprint TEXT NOT NULL, first_seen INTEGER NOT NULL) STRICT;
      CREATE TABLE messages (id TEXT PRIMARY KEY, peer TEXT NOT NULL, direction TEXT NOT NULL, body TEXT NOT NULL, ts INTEGER NOT NULL, relay_ts INTEGER, received_at INTEGER NOT NULL) STRICT;
      CREATE TABLE rejected (id TEXT PRIMARY KEY, reason TEXT NOT NULL, relay_ts INTEGER, rejected_at INTEGER NOT NULL) STRICT;
      INSERT INTO contacts VALUES ('bob', zeroblob(32), zeroblob(32), 'F0', 1);
      PRAGMA user_version = 1;`);
    db.close();
    store = Store.open(v1, TEST_STORAGE_KEY);
    expect(store.contacts.get('bob')).toMatchObject({
      trust: 'unverified',
      verifiedAt: null,
      pending: null,
      firstSeen: 1,
    });
  });

  it('records rejected envelopes once', () => {
    expect(store.rejected.add({ id: 'ff', reason: 'ENVELOPE_OPEN_FAILED', relayTs: 1, rejectedAt: 2 })).toBe(true);
    expect(store.rejected.add({ id: 'ff', reason: 'ENVELOPE_OPEN_FAILED', relayTs: 1, rejectedAt: 3 })).toBe(false);
    expect(store.rejected.list()).toEqual([{ id: 'ff', reason: 'ENVELOPE_OPEN_FAILED', relayTs: 1, rejectedAt: 2 }]);
  });

  it('no body is in chat.db or its WAL on disk, live, in the WAL only, or deleted (§13.3)', () => {
    // A short body (in its page) and a long one (overflow pages); each with a marker that is nowhere else. The store
    // also keeps secure_delete on, for whoever later holds the key: a deleted row's bytes are zeroed, not freed.
    store.messages.add(msg('a1', { body: 'SECRET-short-hunter2' }));
    store.messages.add(msg('a2', { body: `${'x'.repeat(30_000)} SECRET-long-hunter2` }));
    store.messages.add(msg('a3', { body: 'SECRET-forme-hunter2' }));
    const wal = `${path}-wal`;
    const has = (file: string) => existsSync(file) && readFileSync(file).includes('hunter2');
    const checkpoint = () => {
      const db = testDb(path); // another process, as a later `chat` run or `chat recv --follow` beside us
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    };
    store.messages.add(msg('a4', { body: 'SECRET-walonly-hunter2' })); // this one only in the WAL
    expect(readFileSync(wal).length).toBeGreaterThan(0);
    expect(has(wal)).toBe(false);
    checkpoint();
    expect(readFileSync(path).length).toBeGreaterThan(30_000); // the rows are in chat.db now
    expect(has(path)).toBe(false);
    store.transaction(() => {
      for (const id of ['a1', 'a2', 'a4']) store.history.markDeleted(store.history.byId(id)!);
      store.history.forget(store.history.byId('a3')!, 4000);
    });
    checkpoint(); // while the store is still open
    expect(has(path)).toBe(false);
    expect(has(wal)).toBe(false);
    store.close(); // the last connection checkpoints and removes the WAL
    expect(has(path)).toBe(false);
    expect(existsSync(wal)).toBe(false);
    store = Store.open(path, TEST_STORAGE_KEY);
    expect(store.history.byId('a1')).toMatchObject({ body: '', deleted: true });
  });

  it('keeps data across reopening', () => {
    store.messages.add(msg('aa'));
    store.close();
    store = Store.open(path, TEST_STORAGE_KEY);
    expect(store.messages.has('aa')).toBe(true);
  });

  it('refuses a database from a newer version', () => {
    store.close();
    const db = testDb(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let err: unknown;
    try {
      store = Store.open(path, TEST_STORAGE_KEY);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChatError);
    expect((err as ChatError).code).toBe('PROFILE_CORRUPT');
    store = Store.open(':memory:', TEST_STORAGE_KEY);
  });
});
