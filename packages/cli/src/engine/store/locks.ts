/**
 * Exclusive locks between the processes of one profile (and between connections in one process, the daemon's), for
 * work that must not run twice at once: a file's download (files/download.ts, PROTOCOL.md §16.3). A lock is SQLite's
 * EXCLUSIVE lock on an empty database file of the profile's own. SQLite takes it with the OS's file locks (fcntl
 * byte ranges on POSIX, LockFileEx on Windows) and also sees another connection of the same process; the OS drops
 * it when its process ends, however that ends, so a killed holder leaves no stale lock behind.
 */
import { chmodSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir } from '../files.js';
import { Database, type Db } from './sqlite.js';

export interface FileLock {
  /**
   * Lets go of the lock. `remove`: deletes its file first, while still holding it, for work that can never run
   * again (a later claimant makes a new file, and finds that work done in chat.db). Idempotent.
   */
  release(remove?: boolean): void;
}

/**
 * Takes the lock on `path` (created mode 0600 in a private directory if absent) without waiting: undefined if another
 * connection holds it. A file there that is not an SQLite database (damaged) is replaced.
 */
export function tryLock(path: string): FileLock | undefined {
  ensurePrivateDir(dirname(path));
  for (let attempt = 0; ; attempt++) {
    // Only SQLite opens the file: closing any descriptor of a file drops every POSIX lock this process holds on it
    // (review rev16), so a touch from here would silently end a lock the daemon holds for another of its clients.
    // timeout 0: a held lock is answered at once (SQLITE_BUSY), never waited for on the event loop's thread.
    const db = new Database(path, { timeout: 0 }) as unknown as Db;
    chmodSync(path, 0o600); // by path: no descriptor opened
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY') return undefined;
      if (code !== 'SQLITE_NOTADB' || attempt > 0) throw err;
      rmSync(path, { force: true });
      continue;
    }
    return held(db, path);
  }
}

function held(db: Db, path: string): FileLock {
  let open = true;
  return {
    release(remove = false) {
      if (!open) return;
      open = false;
      try {
        if (remove) rmSync(path, { force: true });
      } finally {
        db.close(); // ends the transaction, and with it the lock
      }
    },
  };
}
