import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir, type TempDir } from '../../../test/helpers.js';
import { ChatError } from '../errors.js';
import { ENCRYPTING_SUFFIX, isPlaintext } from './encrypted-db.js';
import { Store } from './store.js';

const MARK = 'PLAINTEXT-MARK-7f3a';

/** Every file of `dir` whose bytes contain `text`. */
function filesWith(dir: string, text: string): string[] {
  return readdirSync(dir).filter((f) => readFileSync(join(dir, f)).includes(text));
}

/** A chat.db as a version before §13.3 left it: plaintext, in WAL mode, with rows in chat.db and in its WAL only. */
function plaintextProfileDb(dir: string): string {
  const store = Store.open(join(dir, 'seed.db'), TEST_STORAGE_KEY); // today's schema, to be decrypted below
  store.close();
  const seed = new Database(join(dir, 'seed.db'));
  seed.pragma("cipher = 'chacha20'");
  seed.pragma(`key = "x'${Buffer.from(TEST_STORAGE_KEY).toString('hex')}'"`);
  seed.pragma('journal_mode = DELETE');
  seed.pragma("rekey = ''"); // decrypted: the file as an older version wrote it
  seed.close();
  const path = join(dir, 'chat.db');
  copyFileSync(join(dir, 'seed.db'), path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.prepare(
    "INSERT INTO contacts (username, idpk, encpk, fingerprint, first_seen) VALUES (?, zeroblob(32), zeroblob(32), 'F', 1)",
  ).run(`in-db-${MARK}`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.prepare(
    "INSERT INTO contacts (username, idpk, encpk, fingerprint, first_seen) VALUES (?, zeroblob(32), zeroblob(32), 'F', 2)",
  ).run(`in-wal-${MARK}`);
  // A process killed while it held the database: chat.db-wal keeps rows never checkpointed.
  copyFileSync(path, join(dir, 'crashed.db'));
  copyFileSync(`${path}-wal`, join(dir, 'crashed.db-wal'));
  db.close();
  copyFileSync(join(dir, 'crashed.db'), path);
  copyFileSync(join(dir, 'crashed.db-wal'), `${path}-wal`);
  for (const f of ['seed.db', 'crashed.db', 'crashed.db-wal']) writeFileSync(join(dir, f), '');
  return path;
}

describe('chat.db encrypted at rest (PROTOCOL.md §13.3)', () => {
  let t: TempDir;
  beforeEach(() => {
    t = tempDir('encrypted-db');
  });
  afterEach(() => t.cleanup());

  it('a new database is encrypted from its first page; the same key opens it again', () => {
    const path = join(t.dir, 'chat.db');
    const store = Store.open(path, TEST_STORAGE_KEY);
    store.nicknames.set('bob', `Bob ${MARK}`, 1);
    store.close();
    expect(isPlaintext(path)).toBe(false);
    expect(filesWith(t.dir, MARK)).toEqual([]);
    const again = Store.open(path, TEST_STORAGE_KEY);
    expect(again.nicknames.get('bob')).toBe(`Bob ${MARK}`);
    again.close();
  });

  it('a wrong key is HISTORY_UNREADABLE (exit 7), not a crash, and leaves the file as it was', () => {
    const path = join(t.dir, 'chat.db');
    Store.open(path, TEST_STORAGE_KEY).close();
    const before = readFileSync(path);
    let err: unknown;
    try {
      Store.open(path, new Uint8Array(32).fill(8));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChatError);
    expect((err as ChatError).code).toBe('HISTORY_UNREADABLE');
    expect((err as ChatError).exitCode).toBe(7);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a file that is not whole pages (garbage, truncated) is PROFILE_CORRUPT, not a locked-keys error (hunt1)', () => {
    for (const [name, content] of [
      ['garbage.db', Buffer.from('garbage\n')],
      ['truncated.db', Buffer.alloc(4096 + 100, 7)],
    ] as const) {
      const path = join(t.dir, name);
      writeFileSync(path, content);
      let err: unknown;
      try {
        Store.open(path, TEST_STORAGE_KEY);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ChatError);
      expect((err as ChatError).code, name).toBe('PROFILE_CORRUPT');
      expect((err as ChatError).message, name).toContain('is not a database (damaged or replaced)');
      expect(readFileSync(path).equals(content), name).toBe(true);
    }
  });

  it('a plaintext database from before is encrypted in place on first open, WAL rows included, no plaintext left', () => {
    const path = plaintextProfileDb(t.dir);
    expect(filesWith(t.dir, MARK).sort()).toEqual(['chat.db', 'chat.db-wal']); // the test can fail
    const store = Store.open(path, TEST_STORAGE_KEY);
    const names = store.contacts.list().map((c) => c.username);
    store.close();
    expect(names.sort()).toEqual([`in-db-${MARK}`, `in-wal-${MARK}`]);
    expect(isPlaintext(path)).toBe(false);
    expect(filesWith(t.dir, MARK)).toEqual([]);
    expect(
      readdirSync(t.dir)
        .filter((f) => f.startsWith('chat.db'))
        .sort(),
    ).toEqual(['chat.db']);
  });

  it('leftovers of a migration killed before its rename are removed and the migration runs again', () => {
    const path = plaintextProfileDb(t.dir);
    // What a kill during the copy or the rekey leaves: a partial copy and its journal beside the intact original.
    writeFileSync(`${path}${ENCRYPTING_SUFFIX}`, `SQLite format 3\0 half a copy ${MARK}`);
    writeFileSync(`${path}${ENCRYPTING_SUFFIX}-journal`, `a journal ${MARK}`);
    const store = Store.open(path, TEST_STORAGE_KEY);
    expect(store.contacts.list()).toHaveLength(2);
    store.close();
    expect(filesWith(t.dir, MARK)).toEqual([]);
    expect(existsSync(`${path}${ENCRYPTING_SUFFIX}`)).toBe(false);
  });
});
