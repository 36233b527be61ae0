/**
 * chat.db encrypted at rest (PROTOCOL.md §13.3): SQLite3 Multiple Ciphers (better-sqlite3-multiple-ciphers, a
 * drop-in for better-sqlite3) encrypts every page of the database, its WAL and its rollback journals with
 * ChaCha20-Poly1305 under the profile's storage key, given raw (no second key derivation: the key is random). A
 * database from before §13.3 is plaintext: it is encrypted in place the first time a key is given (migrate below).
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ChatError } from '../errors.js';
import { touchPrivateFile } from '../files.js';
import { Database, type Db } from './sqlite.js';

export type { Db } from './sqlite.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** The suffix of the encrypted copy that replaces a plaintext chat.db (§13.3). */
export const ENCRYPTING_SUFFIX = '.encrypting';

/**
 * Opens `path` (created mode 0600 if absent) keyed with `storageKey`, encrypting a plaintext file first.
 * `:memory:` (tests) is not keyed: there is no file to protect.
 * @throws {ChatError} `HISTORY_UNREADABLE` if the file does not open with this key; `PROFILE_CORRUPT` if it is not
 *   whole pages (never a database) or otherwise.
 */
export function openEncrypted(path: string, storageKey: Uint8Array): Db {
  if (path === ':memory:') return new Database(path) as unknown as Db;
  touchPrivateFile(path);
  if (isPlaintext(path)) migrate(path, storageKey);
  const db = keyed(path, storageKey);
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_NOTADB') throw err;
    // A database is whole pages (512 bytes at the least): anything else was never one, whatever the key (hunt1).
    if (statSync(path).size % 512 !== 0) {
      throw new ChatError('PROFILE_CORRUPT', `the history database ${path} is not a database (damaged or replaced)`, {
        hint: 'move it away to start an empty one: it also held the contacts (their pinned keys and trust), groups and queued messages; chat key import of a backup restores the contacts',
      });
    }
    throw new ChatError('HISTORY_UNREADABLE', `the history database ${path} does not open with this profile's key`, {
      hint: 'it was written under other keys (chat keygen --force or chat key import --force replace the storage key), or it is damaged; move it away to start an empty history',
    });
  }
  return db;
}

/** A connection whose every page is read and written through the cipher (also for tests that read chat.db). */
export function keyed(path: string, storageKey: Uint8Array, options: { readonly?: boolean } = {}): Db {
  const db = new Database(path, options);
  db.pragma("cipher = 'chacha20'");
  // x'…': the 32 bytes are the page key itself; a string would be run through PBKDF2 (64,007 rounds) at every open.
  db.pragma(`key = "x'${Buffer.from(storageKey).toString('hex')}'"`);
  return db as unknown as Db;
}

/** True when `path` starts with SQLite's plaintext header: a database from before §13.3. An empty file is new. */
export function isPlaintext(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC);
  } finally {
    closeSync(fd);
  }
}

/**
 * Encrypts a plaintext chat.db in place, crash-safe: its WAL is checkpointed and removed, a consistent copy is made
 * beside it (VACUUM INTO), encrypted (rekey), synced and renamed over chat.db. chat.db is at every instant the
 * complete plaintext database or the complete encrypted one; a kill leaves at most the copy, removed by the next
 * attempt. A write lock on the old file keeps other writers out until the rename; one that waited finds the file
 * encrypted and leaves it.
 */
function migrate(path: string, storageKey: Uint8Array): void {
  const tmp = `${path}${ENCRYPTING_SUFFIX}`;
  const lock = new Database(path);
  try {
    lock.pragma('busy_timeout = 5000');
    lock.pragma('journal_mode = DELETE'); // checkpoints the WAL into chat.db and deletes -wal and -shm
    lock.exec('BEGIN IMMEDIATE');
    if (!isPlaintext(path)) return; // another process encrypted it while we waited for the lock
    removeWithJournals(tmp);
    const src = new Database(path, { readonly: true });
    try {
      src.exec(`VACUUM INTO '${tmp.replaceAll("'", "''")}'`);
    } finally {
      src.close();
    }
    const enc = new Database(tmp);
    try {
      enc.pragma('journal_mode = DELETE');
      enc.pragma("cipher = 'chacha20'");
      enc.pragma(`rekey = "x'${Buffer.from(storageKey).toString('hex')}'"`);
    } finally {
      enc.close();
    }
    fsyncFile(tmp);
    renameSync(tmp, path);
    fsyncFile(dirname(path));
  } catch (err) {
    removeWithJournals(tmp);
    throw err;
  } finally {
    lock.close();
  }
}

function removeWithJournals(file: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
