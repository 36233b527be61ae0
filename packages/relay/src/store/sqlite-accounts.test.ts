import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { RelayStoreError } from '../errors.js';
import { envelope, user } from './mailbox-store.suite.js';
import { openSqliteStores } from './sqlite-store.js';

const tmp = tempDir('relay-accounts');
const dir = tmp.dir;
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = () => openSqliteStores(join(dir, `a-${n++}.db`));
const quota = { maxMessages: 100, maxBytes: 1e6 };

/** Turns a current database back into the shape of schema 4 (no per-address shares) … */
const DROP_ADDRESS_SHARES =
  'DROP TRIGGER envelopes_address_share_insert; DROP TRIGGER envelopes_address_share_delete; ALTER TABLE envelopes DROP COLUMN address_tag;';
/** … and of schema 3 (no return times either). */
const DROP_RETURNS = `${DROP_ADDRESS_SHARES} DROP INDEX users_unused; ALTER TABLE users DROP COLUMN returned_at;`;
/** … and of schema 2 (no per-sender shares either). */
const DROP_SHARES = `${DROP_RETURNS} DROP TRIGGER envelopes_share_insert; DROP TRIGGER envelopes_share_delete; DROP TABLE mailbox_shares; ALTER TABLE envelopes DROP COLUMN sender_tag;`;

describe('sqlite account store (PROTOCOL.md §14)', () => {
  it('lists accounts by name with mailbox depth and size, paged', () => {
    const { store, accounts } = fresh();
    for (const name of ['carol', 'alice', 'bob']) store.registerUser(user(name, 5));
    store.putMany([envelope('bob', 100), envelope('bob', 50), envelope('carol', 7)], quota);
    expect(accounts.list('', 10)).toEqual([
      { username: 'alice', createdAt: 5, banned: false, depth: 0, bytes: 0 },
      { username: 'bob', createdAt: 5, banned: false, depth: 2, bytes: 150 },
      { username: 'carol', createdAt: 5, banned: false, depth: 1, bytes: 7 },
    ]);
    expect(accounts.list('alice', 1).map((a) => a.username)).toEqual(['bob']);
    expect(accounts.totals()).toEqual({ users: 3, queued: 3, queuedBytes: 157 });
    store.close();
  });

  it('bans and unbans, also names that are not registered', () => {
    const { store, accounts } = fresh();
    store.registerUser(user('bob'));
    expect(accounts.ban('bob', 'spam', 1)).toBe(true);
    expect(accounts.ban('bob', 'again', 2)).toBe(false);
    expect(accounts.ban('ghost', '', 1)).toBe(true);
    expect(accounts.isBanned('bob')).toBe(true);
    expect(accounts.isBanned('ghost')).toBe(true);
    expect(accounts.list('', 10)).toEqual([expect.objectContaining({ username: 'bob', banned: true })]);
    expect(accounts.unban('bob')).toBe(true);
    expect(accounts.unban('bob')).toBe(false);
    expect(accounts.isBanned('bob')).toBe(false);
    store.close();
  });

  it('an invite registers one name once, and not after it expired; only its hash is stored', () => {
    const { store, accounts } = fresh();
    const code = accounts.createInvite(1_000, 2_000);
    expect(code).toMatch(/^[0-9a-f]{40}$/);
    expect(accounts.registerWithInvite(user('dave'), 'nope', 1_500)).toBe('invalid');
    expect(store.getUser('dave')).toBeUndefined();
    expect(accounts.registerWithInvite(user('dave'), code, 1_500)).toBe('ok');
    expect(store.getUser('dave')).toBeDefined();
    expect(accounts.registerWithInvite(user('erin'), code, 1_500)).toBe('invalid');
    const late = accounts.createInvite(1_000, 2_000);
    expect(accounts.registerWithInvite(user('erin'), late, 2_000)).toBe('invalid');
    expect(store.getUser('erin')).toBeUndefined();
    store.close();
  });

  it('deleting a user deletes its mailbox and frees the name', () => {
    const { store, accounts } = fresh();
    store.registerUser(user('bob'));
    store.putMany([envelope('bob'), envelope('bob')], quota);
    expect(accounts.deleteUser('bob')).toBe(true);
    expect(accounts.deleteUser('bob')).toBe(false);
    expect(store.getUser('bob')).toBeUndefined();
    expect(store.list('bob', 0, 10)).toEqual([]);
    expect(store.registerUser(user('bob')).created).toBe(true);
    expect(store.stats('bob')).toEqual({ count: 0, bytes: 0 });
    store.close();
  });

  it('migrates a schema-1 database (before bans and invites), keeping its data', () => {
    const file = join(dir, 'v1.db');
    const first = openSqliteStores(file);
    first.store.registerUser(user('old'));
    first.store.putMany([envelope('old', 60)], quota);
    first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_SHARES} DROP TABLE bans; DROP TABLE invites; PRAGMA user_version = 1;`);
    db.close();
    const again = openSqliteStores(file);
    expect(again.accounts.list('', 10)).toEqual([expect.objectContaining({ username: 'old', depth: 1, bytes: 60 })]);
    expect(again.accounts.ban('old', '', 1)).toBe(true);
    again.store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(5);
    check.close();
  });

  it('migrates a schema-2 database (before per-sender shares): old envelopes count against no sender', () => {
    const file = join(dir, 'v2.db');
    const first = openSqliteStores(file);
    first.store.registerUser(user('old'));
    first.store.putMany([envelope('old', 60)], quota);
    first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_SHARES} PRAGMA user_version = 2;`);
    db.close();
    const again = openSqliteStores(file);
    const tag = new Uint8Array(16).fill(9);
    const perSender = { maxMessages: 1, maxBytes: 1_000 };
    expect(
      again.store.putMany(
        [
          { ...envelope('old'), senderTag: tag },
          { ...envelope('old'), senderTag: tag },
        ],
        { ...quota, perSender },
      ),
    ).toEqual(['stored', 'mailbox_full']);
    expect(again.store.stats('old')).toEqual({ count: 2, bytes: 160 });
    again.store.close();
  });

  it('migrates a schema-3 database: existing accounts count as in use and never expire as unused', () => {
    const file = join(dir, 'v3.db');
    const first = openSqliteStores(file);
    first.store.registerUser(user('old', 5));
    first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_RETURNS} PRAGMA user_version = 3;`);
    db.close();
    const again = openSqliteStores(file);
    again.store.registerUser(user('fresh', 5));
    expect(again.accounts.expireUnused(10, () => false)).toEqual(['fresh']);
    expect(again.store.hasUser('old')).toBe(true);
    again.store.close();
  });

  it('expires accounts never used again, with their mailboxes; not returning, recent or kept ones', () => {
    const { store, accounts } = openSqliteStores(join(dir, 'unused.db'));
    for (const [name, at] of [
      ['ghost', 1],
      ['back', 1],
      ['online', 1],
      ['recent', 50],
    ] as const)
      store.registerUser(user(name, at));
    store.putMany([envelope('ghost', 60)], quota);
    accounts.noteReturn('back', 20);
    expect(accounts.expireUnused(10, (u) => u === 'online')).toEqual(['ghost']);
    expect(['ghost', 'back', 'online', 'recent'].map((u) => store.hasUser(u))).toEqual([false, true, true, true]);
    expect(accounts.totals()).toMatchObject({ users: 3, queued: 0 });
    store.close();
  });

  it('migrates a schema-4 database (before per-address shares): old envelopes count against no address', () => {
    const file = join(dir, 'v4.db');
    const first = openSqliteStores(file);
    first.store.registerUser(user('old'));
    first.store.putMany([envelope('old', 60)], quota);
    first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_ADDRESS_SHARES} PRAGMA user_version = 4;`);
    db.close();
    const again = openSqliteStores(file);
    const tag = new Uint8Array(16).fill(9);
    const perAddress = { maxMessages: 1, maxBytes: 1_000 };
    expect(
      again.store.putMany(
        [
          { ...envelope('old'), addressTag: tag },
          { ...envelope('old'), addressTag: tag },
        ],
        { ...quota, perAddress },
      ),
    ).toEqual(['stored', 'mailbox_full']);
    expect(again.store.stats('old')).toEqual({ count: 2, bytes: 160 });
    again.store.close();
  });

  it('refuses a database from a newer relay', () => {
    const file = join(dir, 'v6.db');
    openSqliteStores(file).store.close();
    const db = new Database(file);
    db.pragma('user_version = 6');
    db.close();
    expect(() => openSqliteStores(file)).toThrow(RelayStoreError);
  });
});
