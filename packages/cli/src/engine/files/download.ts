/**
 * Accepting and declining file offers (PROTOCOL.md §16.3, §16.1). A download writes to `.<name>.<blob>.part` in the
 * downloads directory, opens every chunk at its position, checks the whole-file SHA-256, and only then renames to a
 * fresh (never overwriting) sanitised name. An interrupted download keeps its verified chunks and resumes.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  openSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  CryptoError,
  MessageKind,
  STREAM_CHUNK_BYTES,
  constantTimeEqual,
  encodeFileAnswer,
  openChunk,
  streamChunkCount,
} from '@chat/crypto';
import { ChatError, printable } from '../errors.js';
import { ensurePrivateDir } from '../files.js';
import type { Connect, SendControl } from '../context.js';
import { blobDone, blobGet } from '../net/blobs.js';
import type { Connection } from '../net/connection.js';
import type { Store } from '../store/store.js';
import type { FileTransfer } from '../store/files.js';
import { type FileLock, tryLock } from '../store/locks.js';
import { sanitizeFileName, uniquePath } from './sanitize.js';
import { readChunk, type TransferOptions } from './upload.js';

function partPath(dir: string, t: FileTransfer): string {
  return join(dir, `.${sanitizeFileName(t.name)}.${t.blob}.part`);
}

type DownloadContext = Connect &
  SendControl & {
    readonly store: Pick<Store, 'files' | 'blocked'>;
    /** The profile's private directory for locks (Messenger.lockDir). */
    readonly lockDir: string;
  };

/**
 * Claims `t` for this process (§16.3): one download of a transfer at a time across the profile's processes and the
 * daemon's clients. Two at once would write one `.part` together, and the second one's resume (it cuts the file to
 * the whole chunks it sees) can remove a chunk the first has already written and hashed: the first would then publish
 * a file with a hole in it. Then `t` as chat.db has it now (another process may have settled it meanwhile).
 * @throws {ChatError} DOWNLOAD_BUSY (1) if another process or client is downloading or declining it now.
 */
function claim(m: DownloadContext, t: FileTransfer): { lock: FileLock; now: FileTransfer } {
  const lock = tryLock(join(m.lockDir, `download-${t.blob}.lock`));
  if (!lock) {
    throw new ChatError(
      'DOWNLOAD_BUSY',
      `${t.blob.slice(0, 8)} (${printable(t.name)}) is being downloaded or declined by another chat process of this profile`,
      { hint: 'wait for it to finish: chat files shows the transfer received once it is' },
    );
  }
  return { lock, now: m.store.files.get(t.blob) ?? t };
}

/** What accepting an incoming transfer that is `received` or `declined` answers: where it was saved, or a refusal. */
function settled(t: FileTransfer): FileTransfer {
  if (t.state === 'declined') throw new ChatError('NO_SUCH_TRANSFER', `you declined ${t.blob.slice(0, 8)} already`);
  // Accepting again answers where it was saved; a saved file that is gone cannot come again (the relay deleted its
  // copy once it was received), which is said instead of "saved" to a path that no longer exists (hunt2).
  if (t.path === null || existsSync(t.path)) return t;
  throw new ChatError(
    'NO_SUCH_TRANSFER',
    `${t.blob.slice(0, 8)} was received already, to ${printable(t.path)}, which is no longer there`,
    { hint: 'the relay deleted its copy once it was received: ask the sender to send it again' },
  );
}

const isSettled = (t: FileTransfer): boolean => t.state === 'received' || t.state === 'declined';

/**
 * Opens the temp file without following a symlink (§16.3): both parts of its name come from the sender, so in a
 * shared downloads directory another local user can plant it. A new one is created exclusively (O_EXCL: not through
 * a symlink, not over anything); an existing one (a download to resume) must be a regular file of ours with one link.
 * @throws {ChatError} DOWNLOAD_PATH_UNSAFE.
 */
function openPart(part: string): number {
  const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  const unsafe = () =>
    new ChatError(
      'DOWNLOAD_PATH_UNSAFE',
      `${printable(part)} exists and is not a regular file of yours: not writing through it`,
      {
        hint: 'remove it if you know what it is, or accept into a directory only you can write to (--dir)',
      },
    );
  let fd: number;
  try {
    fd = openSync(part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    return fd;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    fd = openSync(part, O_RDWR | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw unsafe();
    throw err;
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.nlink !== 1 || (process.getuid !== undefined && st.uid !== process.getuid())) {
    closeSync(fd);
    throw unsafe();
  }
  return fd;
}

/**
 * Moves the finished temp file (open as `fd`, verified through it) to a fresh name: link(2) fails rather than replace
 * anything that appeared meanwhile. link(2) goes by path, and in a directory others can write the entry `part` may
 * no longer be our file (renamed away, another put in its place): the new name must then hold the very inode we
 * verified, else it is taken back and nothing is published (§16.3). Exported for its test (download.test.ts).
 * @throws {ChatError} DOWNLOAD_PATH_UNSAFE, also when `part` is gone or not linkable at link(2).
 */
export function publish(fd: number, part: string, dir: string, name: string): string {
  const ours = fstatSync(fd);
  const replaced = (what: string, cause?: unknown) =>
    new ChatError('DOWNLOAD_PATH_UNSAFE', `${printable(part)} ${what} while the download was checked: not saving it`, {
      hint: 'someone else can write to this directory; accept into a directory only you can write to (--dir)',
      cause,
    });
  const same = (path: string) => {
    try {
      const st = lstatSync(path);
      return st.isFile() && st.dev === ours.dev && st.ino === ours.ino;
    } catch {
      return false;
    }
  };
  for (;;) {
    const final = uniquePath(dir, name);
    try {
      linkSync(part, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      // Renamed away (ENOENT), or another user's file or a directory put in its place (EPERM): the same race.
      if (code === 'ENOENT' || code === 'EPERM') throw replaced('was moved away', err);
      throw err;
    }
    if (!same(final)) {
      rmSync(final, { force: true });
      throw replaced('was replaced');
    }
    if (same(part)) unlinkSync(part);
    return final;
  }
}

async function tellRelayAndSender(
  m: DownloadContext,
  t: FileTransfer,
  outcome: 'received' | 'declined',
  conn: Connection,
): Promise<void> {
  try {
    await blobDone(conn, Buffer.from(t.blob, 'hex'), outcome);
  } catch (err) {
    if (!(err instanceof ChatError && err.code === 'NO_SUCH_BLOB')) throw err; // already gone: nothing to free
  }
  if (m.store.blocked.has(t.peer)) return; // §17.4: an offer from before the block; its sender hears nothing back
  await m.sendControl(
    t.peer,
    MessageKind.fileAnswer,
    encodeFileAnswer({ blob: Buffer.from(t.blob, 'hex'), outcome }),
    conn,
  );
}

/**
 * Downloads an offered file into `dir` and returns the transfer with its final `path`.
 * @throws {ChatError} NO_SUCH_TRANSFER (2), DOWNLOAD_BUSY / STREAM_CHUNK_INVALID / FILE_HASH_MISMATCH (1), NO_SUCH_BLOB
 *   (6), …
 */
export async function acceptFile(
  m: DownloadContext,
  id: string,
  dir: string,
  options: TransferOptions = {},
): Promise<FileTransfer> {
  const offered = m.store.files.find(id, 'in');
  if (isSettled(offered)) return settled(offered);
  ensurePrivateDir(dir); // a directory that cannot be made fails before the transfer is marked as started
  const { lock, now: t } = claim(m, offered);
  try {
    if (isSettled(t)) return settled(t); // another process finished or declined it while this one looked
    const got = await download(m, t, dir, options);
    lock.release(true); // received: no download of it can start again, so its lock file goes (under the lock)
    return got;
  } finally {
    lock.release();
  }
}

/** `acceptFile`'s download, under the transfer's claim. */
async function download(
  m: DownloadContext,
  t: FileTransfer,
  dir: string,
  options: TransferOptions,
): Promise<FileTransfer> {
  m.store.files.update(t.blob, { state: 'downloading' });
  const part = partPath(dir, t);
  const chunks = streamChunkCount(t.size);
  const fd = openPart(part);
  try {
    // Resume (§16.1): whole chunks already written were verified when they were; re-hash them and go on.
    const have = Math.min(Math.floor(fstatSync(fd).size / STREAM_CHUNK_BYTES), chunks - 1);
    ftruncateSync(fd, have * STREAM_CHUNK_BYTES);
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(STREAM_CHUNK_BYTES);
    for (let i = 0; i < have; i++) hash.update(readChunk(fd, buf, i, t.size));
    const progress = {
      direction: 'down' as const,
      blob: t.blob,
      name: t.name,
      done: have * STREAM_CHUNK_BYTES,
      total: t.size,
      startedAt: Date.now(),
    };
    options.onProgress?.({ ...progress });
    const conn = await m.connect('send');
    try {
      await blobGet(conn, Buffer.from(t.blob, 'hex'), have, chunks, (n, data) => {
        let plain: Uint8Array;
        try {
          plain = openChunk(data, t.key, n, n === chunks - 1);
        } catch (err) {
          if (err instanceof CryptoError)
            throw new ChatError(
              'STREAM_CHUNK_INVALID',
              `chunk ${n} of ${t.blob.slice(0, 8)} failed its check: the file was altered, reordered or cut on the way`,
              { cause: err },
            );
          throw err;
        }
        writeSync(fd, plain, 0, plain.length, n * STREAM_CHUNK_BYTES);
        hash.update(plain);
        progress.done += plain.length;
        options.onProgress?.({ ...progress });
      });
      if (fstatSync(fd).size !== t.size)
        throw new ChatError('STREAM_TRUNCATED', `${t.blob.slice(0, 8)} arrived with the wrong length`);
      if (!t.sha256 || !constantTimeEqual(hash.digest(), t.sha256)) {
        throw new ChatError('FILE_HASH_MISMATCH', `${t.blob.slice(0, 8)} does not match the hash in its offer`);
      }
      fsyncSync(fd);
      const final = publish(fd, part, dir, sanitizeFileName(t.name));
      m.store.files.update(t.blob, { state: 'received', path: final });
      await tellRelayAndSender(m, t, 'received', conn);
      return { ...t, state: 'received', path: final };
    } finally {
      await conn.close();
    }
  } catch (err) {
    // A chunk or the hash failed: what we hold cannot be trusted, start over next time. A lost connection keeps it.
    if (
      err instanceof ChatError &&
      ['STREAM_CHUNK_INVALID', 'STREAM_TRUNCATED', 'FILE_HASH_MISMATCH'].includes(err.code)
    ) {
      rmSync(part, { force: true });
    }
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** Declines an offer: the relay deletes its copy and the sender is told (§16). */
export async function declineFile(m: DownloadContext, id: string, dir?: string): Promise<FileTransfer> {
  const offered = m.store.files.find(id, 'in');
  const received = (t: FileTransfer) => new ChatError('NO_SUCH_TRANSFER', `${t.blob.slice(0, 8)} was received already`);
  if (offered.state === 'received') throw received(offered);
  // Not while a download of it runs (§16.3): it would fail half-way, its chunks left behind.
  const { lock, now: t } = claim(m, offered);
  try {
    if (t.state === 'received') throw received(t);
    const conn = await m.connect('send');
    try {
      await tellRelayAndSender(m, t, 'declined', conn);
    } finally {
      await conn.close();
    }
    m.store.files.update(t.blob, { state: 'declined' });
    if (dir) rmSync(partPath(dir, t), { force: true });
    lock.release(true);
    return { ...t, state: 'declined' };
  } finally {
    lock.release();
  }
}
