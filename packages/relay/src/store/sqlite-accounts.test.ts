import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { RelayStoreError } from '../errors.js';
import { describeAccountStore } from './accounts.suite.js';
import { envelope, user } from './mailbox-store.suite.js';
import { prekey } from './prekeys.suite.js';
import { openSqliteStores } from './sqlite-store.js';

const tmp = tempDir('relay-accounts');
const dir = tmp.dir;
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = () => openSqliteStores(join(dir, `a-${n++}.db`));
const quota = { maxMessages: 100, maxBytes: 1e6 };

/** Turns a current database back into the shape of schema 5 (no prekeys) … */
const DROP_PREKEYS = 'DROP TABLE prekeys;';
/** … and of schema 4 (no per-address shares either) … */
const DROP_ADDRESS_SHARES =
  DROP_PREKEYS +
  ' DROP TRIGGER envelopes_address_share_insert; DROP TRIGGER envelopes_address_share_delete; ALTER TABLE envelopes DROP COLUMN address_tag;';
/** … and of schema 3 (no return times either). */
const DROP_RETURNS = `${DROP_ADDRESS_SHARES} DROP INDEX users_unused; ALTER TABLE users DROP COLUMN returned_at;`;
/** … and of schema 2 (no per-sender shares either). */
const DROP_SHARES = `${DROP_RETURNS} DROP TRIGGER envelopes_share_insert; DROP TRIGGER envelopes_share_delete; DROP TABLE mailbox_shares; ALTER TABLE envelopes DROP COLUMN sender_tag;`;

describeAccountStore('sqlite', async () => fresh());

describe('sqlite account store: schema migrations (PROTOCOL.md §14)', () => {
  it('migrates a schema-1 database (before bans and invites), keeping its data', async () => {
    const file = join(dir, 'v1.db');
    const first = openSqliteStores(file);
    await first.store.registerUser(user('old'));
    await first.store.putMany([envelope('old', 60)], quota);
    await first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_SHARES} DROP TABLE bans; DROP TABLE invites; PRAGMA user_version = 1;`);
    db.close();
    const again = openSqliteStores(file);
    expect(await again.accounts.list('', 10)).toEqual([
      expect.objectContaining({ username: 'old', depth: 1, bytes: 60 }),
    ]);
    expect(await again.accounts.ban('old', '', 1)).toBe(true);
    await again.store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(6);
    check.close();
  });

  it('migrates a schema-2 database (before per-sender shares): old envelopes count against no sender', async () => {
    const file = join(dir, 'v2.db');
    const first = openSqliteStores(file);
    await first.store.registerUser(user('old'));
    await first.store.putMany([envelope('old', 60)], quota);
    await first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_SHARES} PRAGMA user_version = 2;`);
    db.close();
    const again = openSqliteStores(file);
    const tag = new Uint8Array(16).fill(9);
    const perSender = { maxMessages: 1, maxBytes: 1_000 };
    expect(
      await again.store.putMany(
        [
          { ...envelope('old'), senderTag: tag },
          { ...envelope('old'), senderTag: tag },
        ],
        { ...quota, perSender },
      ),
    ).toEqual(['stored', 'mailbox_full']);
    expect(await again.store.stats('old')).toEqual({ count: 2, bytes: 160 });
    await again.store.close();
  });

  it('migrates a schema-3 database: existing accounts count as in use and never expire as unused', async () => {
    const file = join(dir, 'v3.db');
    const first = openSqliteStores(file);
    await first.store.registerUser(user('old', 5));
    await first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_RETURNS} PRAGMA user_version = 3;`);
    db.close();
    const again = openSqliteStores(file);
    await again.store.registerUser(user('fresh', 5));
    expect(await again.accounts.expireUnused(10, () => false)).toEqual(['fresh']);
    expect(await again.store.hasUser('old')).toBe(true);
    await again.store.close();
  });

  it('migrates a schema-4 database (before per-address shares): old envelopes count against no address', async () => {
    const file = join(dir, 'v4.db');
    const first = openSqliteStores(file);
    await first.store.registerUser(user('old'));
    await first.store.putMany([envelope('old', 60)], quota);
    await first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_ADDRESS_SHARES} PRAGMA user_version = 4;`);
    db.close();
    const again = openSqliteStores(file);
    const tag = new Uint8Array(16).fill(9);
    const perAddress = { maxMessages: 1, maxBytes: 1_000 };
    expect(
      await again.store.putMany(
        [
          { ...envelope('old'), addressTag: tag },
          { ...envelope('old'), addressTag: tag },
        ],
        { ...quota, perAddress },
      ),
    ).toEqual(['stored', 'mailbox_full']);
    expect(await again.store.stats('old')).toEqual({ count: 2, bytes: 160 });
    await again.store.close();
  });

  it('migrates a schema-5 database (before prekeys, PROTOCOL.md §23), keeping its data', async () => {
    const file = join(dir, 'v5.db');
    const first = openSqliteStores(file);
    await first.store.registerUser(user('old'));
    await first.store.putMany([envelope('old', 60)], quota);
    await first.store.close();
    const db = new Database(file);
    db.exec(`${DROP_PREKEYS} PRAGMA user_version = 5;`);
    db.close();
    const again = openSqliteStores(file);
    expect(await again.store.stats('old')).toEqual({ count: 1, bytes: 60 });
    expect(await again.prekeys.publish('old', [prekey(1, 1), prekey(3, 1)], false, { maxOpk: 1, maxPqopk: 1 })).toEqual(
      { counts: { opk: 0, pqopk: 0, spkId: 1, pqspkId: 1 } },
    );
    await again.store.close();
  });

  it('refuses a database from a newer relay', async () => {
    const file = join(dir, 'v7.db');
    openSqliteStores(file).store.close();
    const db = new Database(file);
    db.pragma('user_version = 7');
    db.close();
    expect(() => openSqliteStores(file)).toThrow(RelayStoreError);
  });
});
