/**
 * The data directory's ownership and modes, checked the way the client checks its profile (cli strict-modes.ts, after
 * OpenSSH's StrictModes): a data directory, or a file in it, that another local user owns or that group or others
 * can write is refused, and so is a symlink in place of a file. Such a user could plant `relay.json` (admins, limits,
 * registration) or `tls-key.pem` / `tls-cert.pem` (the relay's identity for every client's pin), and an operator who
 * then starts the relay there, often as root, would serve with them (review 2026-12-06, finding 3; SECURITY.md
 * "Local users on the relay host").
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { DataDirUnsafeError } from './errors.js';

/** Everything the relay keeps in its data directory; each is checked if it exists. */
export const DATA_DIR_ENTRIES = [
  'relay.json',
  'tls-key.pem',
  'tls-cert.pem',
  'relay.db',
  'relay.db-wal',
  'relay.db-shm',
  'rooms.db',
  'rooms.db-wal',
  'rooms.db-shm',
  'control.sock',
  'blobs',
] as const;

/** Files only the relay's own account may read as well as write: the private key. */
const SECRET = new Set<string>(['tls-key.pem']);

/**
 * Refuses `dataDir` unless it and every entry of `DATA_DIR_ENTRIES` in it are owned by `uid` or root, not writable by
 * group or others, and (entries) not symlinks; `tls-key.pem` must not be readable by group or others either. A
 * missing entry is fine: the relay creates it 0600 (directories 0700). The directory itself may be a symlink (to a
 * volume, say); what it points to is checked. `uid` is injectable for tests; undefined (no uids) skips ownership.
 * @throws {DataDirUnsafeError} DATA_DIR_UNSAFE, with a hint naming chmod / chown.
 * @example checkDataDir('/var/lib/chat-relay')
 */
export function checkDataDir(dataDir: string, uid: number | undefined = process.getuid?.()): void {
  const st = statOrMissing(() => statSync(dataDir), dataDir);
  if (st === undefined) return;
  if (!st.isDirectory()) throw new DataDirUnsafeError(`${dataDir} is not a directory`, `give --data a directory`);
  checkStats(dataDir, st, uid, false);
  for (const name of DATA_DIR_ENTRIES) {
    const path = join(dataDir, name);
    const entry = statOrMissing(() => lstatSync(path), path);
    if (entry === undefined) continue;
    if (entry.isSymbolicLink()) {
      throw new DataDirUnsafeError(
        `${path} is a symbolic link: the relay does not follow links in its data directory`,
        `replace it with the file itself (or point --config / --tls-cert / --tls-key at files outside the data directory)`,
      );
    }
    checkStats(path, entry, uid, SECRET.has(name));
  }
}

/**
 * Reads a file of the data directory without following a symlink, checking the opened file (not the path, which could
 * change between a check and the open) as `checkDataDir` does.
 * @throws {DataDirUnsafeError} as checkDataDir; the fs error (e.g. ENOENT) when it cannot be opened.
 */
export function readDataFile(path: string, secret = false, uid: number | undefined = process.getuid?.()): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new DataDirUnsafeError(
        `${path} is a symbolic link: the relay does not follow it`,
        'replace the link with the file',
      );
    }
    throw err;
  }
  try {
    checkStats(path, fstatSync(fd), uid, secret);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Creates `path` 0600 if missing, refusing a symlink or a file that fails the checks (the databases, before SQLite). */
export function touchDataFile(path: string, uid: number | undefined = process.getuid?.()): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new DataDirUnsafeError(
        `${path} is a symbolic link: the relay does not follow it`,
        'replace the link with the file',
      );
    }
    throw err;
  }
  try {
    checkStats(path, fstatSync(fd), uid, false);
  } finally {
    closeSync(fd);
  }
}

function statOrMissing(stat: () => Stats, path: string): Stats | undefined {
  try {
    return stat();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataDirUnsafeError(
      `cannot inspect ${path}: ${(err as Error).message}`,
      'check the path and its permissions',
    );
  }
}

function checkStats(path: string, st: Stats, uid: number | undefined, secret: boolean): void {
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    throw new DataDirUnsafeError(
      `${path} belongs to another user (uid ${st.uid}), not to the relay's (uid ${uid}): it could have planted it`,
      `if its content is yours: chown ${uid} ${path}; else remove it (and check relay.json and the TLS files)`,
    );
  }
  const mask = secret ? 0o077 : 0o022;
  if ((st.mode & mask) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw new DataDirUnsafeError(
      secret
        ? `${path} is readable or writable by group or others (mode ${mode}): it is the relay's private key`
        : `${path} is writable by group or others (mode ${mode}): another user could change what the relay trusts`,
      `chmod ${secret ? '600' : 'go-w'} ${path}`,
    );
  }
}
