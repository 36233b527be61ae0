/**
 * The data directory's ownership and modes, checked the way the client checks its profile (cli strict-modes.ts, after
 * OpenSSH's StrictModes): a data directory, or a file in it, that another local user owns or that group or others
 * can write is refused, and so is a symlink in place of a file. Such a user could plant `relay.json` (admins, limits,
 * registration) or `tls-key.pem` / `tls-cert.pem` (the relay's identity for every client's pin), and an operator who
 * then starts the relay there, often as root, would serve with them (review 2026-12-06, finding 3; SECURITY.md
 * "Local users"). A check by path holds only while nobody else can put another directory at that path, so the
 * directories above it are checked too and the relay keeps only the real path (review 2 of 2026-12-06, finding 1).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
 * volume, say) if the relay's user or root owns the link; what it points to is checked and returned, and the relay
 * uses only that real path from then on, so retargeting the link later moves nothing. Every ancestor of the real
 * path (and of the link) must be owned by `uid` or root and not writable by group or others unless sticky (like
 * /tmp), as OpenSSH's StrictModes asks: whoever can write a parent can rename the checked directory away and put
 * their own in its place after this check (review 2 of 2026-12-06, finding 1). `uid` is injectable for tests;
 * undefined (no uids) skips ownership.
 * @returns the data directory's real path (`dataDir` itself when it does not exist yet).
 * @throws {DataDirUnsafeError} DATA_DIR_UNSAFE, with a hint naming chmod / chown.
 * @example const dir = checkDataDir('/var/lib/chat-relay')
 */
export function checkDataDir(dataDir: string, uid: number | undefined = process.getuid?.()): string {
  const link = statOrMissing(() => lstatBig(dataDir), dataDir);
  if (link === undefined) return dataDir;
  if (link.isSymbolicLink()) {
    if (uid !== undefined && link.uid !== uid && link.uid !== 0) {
      throw new DataDirUnsafeError(
        `${dataDir} is a symbolic link owned by another user (uid ${link.uid}): it could point it elsewhere`,
        `replace the link with one of your own (or give --data the real directory)`,
      );
    }
    checkAncestors(realOrRefuse(dirname(resolve(dataDir))), uid);
  }
  const real = realOrRefuse(dataDir);
  const st = statOrMissing(() => lstatBig(real), real);
  if (st === undefined) return dataDir;
  if (!st.isDirectory()) throw new DataDirUnsafeError(`${dataDir} is not a directory`, `give --data a directory`);
  checkAncestors(dirname(real), uid);
  checkStats(real, st, uid, false);
  for (const name of DATA_DIR_ENTRIES) {
    const path = join(real, name);
    const entry = statOrMissing(() => lstatBig(path), path);
    if (entry === undefined) continue;
    if (entry.isSymbolicLink()) {
      throw new DataDirUnsafeError(
        `${path} is a symbolic link: the relay does not follow links in its data directory`,
        `replace it with the file itself (or point --config / --tls-cert / --tls-key at files outside the data directory)`,
      );
    }
    checkStats(path, entry, uid, SECRET.has(name));
  }
  return real;
}

/** `dir` and each directory above it, up to the root: owned by `uid` or root, not writable by others unless sticky. */
function checkAncestors(dir: string, uid: number | undefined): void {
  for (let d = dir; ; d = dirname(d)) {
    const st = statOrMissing(() => lstatBig(d), d);
    if (st === undefined || !st.isDirectory()) {
      throw new DataDirUnsafeError(`${d} changed while the relay checked it`, 'start the relay again');
    }
    // Sticky (like /tmp): others may write it but not rename what is ours; still, its owner may.
    const sticky = (st.mode & 0o1000) !== 0;
    if (!sticky || (uid !== undefined && st.uid !== uid && st.uid !== 0)) checkStats(d, st, uid, false);
    if (dirname(d) === d) return;
  }
}

function realOrRefuse(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    throw new DataDirUnsafeError(
      `cannot resolve ${path}: ${(err as Error).message}`,
      'check the path and its permissions',
    );
  }
}

/**
 * Reads a file of the data directory without following a symlink, checking the opened file (not the path, which could
 * change between a check and the open) as `checkDataDir` does.
 * @throws {DataDirUnsafeError} as checkDataDir; the fs error (e.g. ENOENT) when it cannot be opened.
 */
export function readDataFile(path: string, secret = false, uid: number | undefined = process.getuid?.()): string {
  const fd = openNoFollow(path, constants.O_RDONLY);
  try {
    checkStats(path, fstatSync(fd), uid, secret);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Creates `path` 0600 if missing, refusing a symlink or a file that fails the checks (the databases, before SQLite). */
export function touchDataFile(path: string, uid: number | undefined = process.getuid?.()): void {
  const fd = openNoFollow(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 0o600);
  try {
    checkStats(path, fstatSync(fd), uid, false);
  } finally {
    closeSync(fd);
  }
}

/** What the checks read of a file's status: its owner, its mode bits and its type. */
interface Status {
  uid: number;
  mode: number;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/**
 * `lstat` as a BigInt stat, converted. A numeric `lstatSync` leaves the file's type in a buffer the whole process
 * shares, and Node 20's `realpathSync` reads that buffer for path components it has cached: after a stat of a socket
 * (a SIGKILLed relay's stale `control.sock`) it stops resolving early, so the next `require` through a pnpm symlink
 * loads the package from its link path, where its own dependencies are not found (nodejs/node#51142; it broke
 * `import('pg')`). BigInt stats use a buffer of their own, which `realpathSync` never reads.
 */
function lstatBig(path: string): Status {
  const st = lstatSync(path, { bigint: true });
  return {
    uid: Number(st.uid),
    mode: Number(st.mode),
    isDirectory: () => st.isDirectory(),
    isSymbolicLink: () => st.isSymbolicLink(),
  };
}

function statOrMissing(stat: () => Status, path: string): Status | undefined {
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

export function checkStats(
  path: string,
  st: Pick<Status, 'uid' | 'mode'>,
  uid: number | undefined,
  secret: boolean,
): void {
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

/** Opens `path` with O_NOFOLLOW; a symlink there is DATA_DIR_UNSAFE, any other failure the fs error. */
function openNoFollow(path: string, flags: number, mode?: number): number {
  try {
    return openSync(path, flags | constants.O_NOFOLLOW, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new DataDirUnsafeError(
        `${path} is a symbolic link: the relay does not follow it`,
        'replace the link with the file',
      );
    }
    throw err;
  }
}
