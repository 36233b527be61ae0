/** Private files: directories 0700, files 0600, written atomically (temp file, fsync, rename) so a crash never leaves half a key. */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { makeDirs } from '@chat/protocol/dirs';
import { ChatError, printable } from './errors.js';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) with mode 0700. An existing directory is left as it is. `makeDirs`, not Node 20's
 * recursive mkdirSync, which spins at 100 % CPU for a path under /proc (a `CHAT_HOME` or `--dir` there).
 * @throws {ChatError} DIRECTORY_NOT_CREATED (exit 1) naming the directory and the system's reason.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    makeDirs(dir, DIR_MODE);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code !== 'string') throw err;
    const at = typeof e.path === 'string' && e.path !== resolve(dir) ? ` (at ${printable(e.path)})` : '';
    throw new ChatError('DIRECTORY_NOT_CREATED', `cannot create the directory ${printable(dir)}${at}: ${e.code}`, {
      cause: err,
    });
  }
}

/**
 * Writes `data` to `path` atomically with mode 0600: a reader sees the old file or the new one, never a mix.
 * With `exclusive`, fails with EEXIST instead of replacing an existing file (the check and the rename are not one
 * atomic step, which is fine for a single user's profile).
 */
export function writePrivateFileAtomic(path: string, data: string): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fd = openSync(tmp, 'wx', FILE_MODE);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  // Make the rename itself durable; not every platform lets a directory be fsync'd, hence best effort.
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}

/** Creates an empty file with mode 0600 if it does not exist (SQLite then gives its -wal/-shm files the same mode). */
export function touchPrivateFile(path: string): void {
  ensurePrivateDir(dirname(path));
  closeSync(openSync(path, 'a', FILE_MODE));
}
