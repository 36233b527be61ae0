import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { RelayStoreError } from '../errors.js';
import { describeMailboxStore, envelope, user } from './mailbox-store.suite.js';
import { describeRoomStore } from './rooms.suite.js';
import { SqliteRoomStore } from './sqlite-rooms.js';
import { openSqliteStore, openSqliteStores } from './sqlite-store.js';

const tmp = tempDir('relay-store');
const dir = tmp.dir;
afterAll(() => tmp.cleanup());
let n = 0;
const files = new Map<object, string>();

describeMailboxStore(
  'sqlite',
  () => {
    const file = join(dir, `store-${n++}.db`);
    const store = openSqliteStore(file);
    files.set(store, file);
    return store;
  },
  async (store) => {
    const file = files.get(store)!;
    await store.close();
    const again = openSqliteStore(file);
    files.set(again, file);
    return again;
  },
  async (store) => openSqliteStore(files.get(store)!),
);

describe('sqlite store start-up checks', () => {
  it('refuses a file that is not a database', async () => {
    const file = join(dir, 'garbage.db');
    writeFileSync(file, Buffer.alloc(8192, 0x41));
    expect(() => openSqliteStore(file)).toThrow(RelayStoreError);
    try {
      openSqliteStore(file);
    } catch (err) {
      expect((err as RelayStoreError).code).toBe('STORE_CORRUPT');
    }
  });

  it('refuses a database whose pages were corrupted', async () => {
    const file = join(dir, 'corrupt.db');
    const store = openSqliteStore(file);
    await store.registerUser(user('bob'));
    await store.putMany(
      Array.from({ length: 200 }, () => envelope('bob', 2000)),
      { maxMessages: 10_000, maxBytes: 1e9 },
    );
    await store.close();
    const bytes = readFileSync(file);
    expect(statSync(file).size).toBeGreaterThan(64 * 1024);
    // Overwrite pages in the middle of the file (b-tree pages of the envelope table and its indexes).
    bytes.fill(0xff, 16 * 1024, 48 * 1024);
    writeFileSync(file, bytes);
    expect(() => openSqliteStore(file)).toThrow(/integrity|malformed|corrupt|not a database/i);
  });

  it('refuses a truncated database', async () => {
    const file = join(dir, 'truncated.db');
    const store = openSqliteStore(file);
    await store.registerUser(user('bob'));
    await store.putMany(
      Array.from({ length: 200 }, () => envelope('bob', 2000)),
      { maxMessages: 10_000, maxBytes: 1e9 },
    );
    await store.close();
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(() => openSqliteStore(file)).toThrow(RelayStoreError);
  });
});

describe('what the sqlite store keeps (PROTOCOL.md §9)', () => {
  it("has no column for a sender's name or for plaintext in the envelope table, only opaque sender and address tags", async () => {
    const file = join(dir, 'schema.db');
    openSqliteStore(file).close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file, { readonly: true });
    const columns = (db.prepare('PRAGMA table_info(envelopes)').all() as { name: string }[]).map((c) => c.name);
    db.close();
    expect(columns.sort()).toEqual([
      'address_tag',
      'envelope',
      'expires_at',
      'id',
      'received_at',
      'recipient',
      'sender_tag',
      'seq',
      'size',
    ]);
  });
});

describeRoomStore('sqlite', async () => new SqliteRoomStore(':memory:'));

describe('deleted envelopes do not linger (issue 13 item 9, SECURITY.md)', () => {
  const filesOf = (file: string) =>
    Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));

  it('secure_delete zeroes a removed envelope; scrub() ends the WAL frames that still held it', async () => {
    const file = join(dir, `scrub-${n++}.db`);
    const { store, scrub } = openSqliteStores(file);
    await store.registerUser(user('bob'));
    const item = envelope('bob', 4096);
    const body = Buffer.from(randomBytes(4096));
    await store.putMany([{ ...item, envelope: body }], { maxMessages: 10, maxBytes: 1e6 });
    await store.remove('bob', [item.id]);
    const probe = () => filesOf(file).includes(body.subarray(1000, 1048));
    expect(probe()).toBe(true); // the control: the WAL frame that stored it is still in the file
    scrub();
    expect(probe()).toBe(false);
    await store.close();
  });
});
