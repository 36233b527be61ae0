/**
 * `chat send-file` (PROTOCOL.md §16): seal a file chunk by chunk, upload it to the relay's blob store, then send the
 * end-to-end encrypted offer. Memory stays flat: one 64 KiB chunk is read at a time and at most WINDOW sealed chunks
 * are in flight. An interrupted upload of the same file to the same peer resumes from the relay's `have` (§16.1).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  MessageKind,
  STREAM_CHUNK_BYTES,
  encodeFileOffer,
  generateFileKey,
  sealChunk,
  streamChunkCount,
  streamSealedSize,
} from '@chat/crypto';
import { ChatError, ExitCode, refuseBlocked } from '../errors.js';
import { blobNew, blobPut } from '../net/blobs.js';
import type { Connect, Lookup, SendControl } from '../context.js';
import type { Store } from '../store/store.js';
import { normalizeUsername } from '../username.js';
import type { FileProgress } from './incoming.js';
import type { FileTransfer } from '../store/files.js';
import { guessType } from './types.js';

/** Sealed chunks in flight at once (about 1 MiB). */
export const UPLOAD_WINDOW = 16;

type UploadContext = Connect & Lookup & SendControl & { readonly store: Pick<Store, 'files' | 'blocked'> };

export interface TransferOptions {
  onProgress?: (p: FileProgress) => void;
}

/** Reads plaintext chunk `i` of a `size`-byte file into `buf`; returns the view of its bytes. */
export function readChunk(fd: number, buf: Buffer, i: number, size: number): Buffer {
  const len = Math.min(STREAM_CHUNK_BYTES, size - i * STREAM_CHUNK_BYTES);
  let got = 0;
  while (got < len) {
    const r = readSync(fd, buf, got, len - got, i * STREAM_CHUNK_BYTES + got);
    if (r === 0) throw new ChatError('FILE_UNREADABLE', 'the file got shorter while it was being sent');
    got += r;
  }
  return buf.subarray(0, len);
}

/**
 * Opens the file to send. Non-blocking, so a FIFO with no writer (or a terminal) is opened at once and refused as not
 * a regular file, instead of `open` waiting for ever (hunt1); reads of a regular file do not block either way. A file
 * that reports 0 bytes but has content (/proc, /sys) is refused too: it would go as an empty file.
 * @throws {ChatError} FILE_UNREADABLE.
 */
function openSource(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openNonBlocking(path);
  } catch (err) {
    throw new ChatError(
      'FILE_UNREADABLE',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { cause: err },
    );
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new ChatError('FILE_UNREADABLE', `${path} is not a regular file`);
  }
  let content = false;
  try {
    content = st.size === 0 && readSync(fd, Buffer.alloc(1), 0, 1, 0) > 0;
  } catch (err) {
    closeSync(fd); // /proc/self/mem (EIO), /proc/self/pagemap (EINVAL): not a file to send either (review rev15)
    throw new ChatError('FILE_UNREADABLE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: err,
    });
  }
  if (content) {
    closeSync(fd);
    throw new ChatError(
      'FILE_UNREADABLE',
      `${path} says it is empty but has content (a file under /proc or /sys?): it would arrive empty`,
      { hint: 'copy it to a regular file first, and send the copy' },
    );
  }
  return { fd, size: st.size };
}

/**
 * open(2) with O_NONBLOCK, except for a regular file whose open would have waited (EAGAIN: a conflicting lease or
 * oplock held by another program, review rev15): that one is opened as before, blocking until it is released.
 */
function openNonBlocking(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'EAGAIN' || code === 'EWOULDBLOCK') && statSync(path).isFile()) return openSync(path, 'r');
    throw err;
  }
}

/**
 * Uploads `path` for `to` and sends the offer.
 * @throws {ChatError} FILE_UNREADABLE (1), BAD_USERNAME / BLOCKED (2), UNKNOWN_USER (3), KEY_CHANGED (4), unreachable (5),
 *   FILE_TOO_LARGE / QUOTA_EXCEEDED (6).
 */
export async function sendFile(
  m: UploadContext,
  to: string,
  path: string,
  options: TransferOptions = {},
): Promise<FileTransfer> {
  const peer = normalizeUsername(to);
  refuseBlocked(m.store.blocked, peer); // §17.4: before anything is read, stored or uploaded
  const abs = resolve(path);
  const { fd, size } = openSource(abs);
  try {
    const chunks = streamChunkCount(size);
    const resumed = m.store.files.findUpload(peer, abs, size);
    const t: FileTransfer = resumed ?? {
      blob: randomBytes(16).toString('hex'),
      direction: 'out',
      peer,
      name: basename(abs),
      size,
      type: guessType(abs),
      sha256: null,
      key: Buffer.from(generateFileKey()),
      state: 'uploading',
      path: abs,
      ts: Date.now(),
    };
    m.store.files.add(t);
    const bid = Buffer.from(t.blob, 'hex');
    const conn = await m.connect('send');
    try {
      let have: number;
      try {
        await m.lookupAndPin(peer, conn); // a changed or untrusted key stops us before any upload (§3.4)
        have = await blobNew(conn, bid, peer, streamSealedSize(size), chunks);
      } catch (err) {
        // Refused (FILE_TOO_LARGE, QUOTA_EXCEEDED, an unknown user, a key not accepted) before the relay stored
        // anything of a new upload: there is nothing to resume, so it is not left listed as `uploading` for ever
        // (hunt3). A lost connection keeps it: the relay may have made the blob already, and running send-file again
        // resumes that one rather than leave it counting against the upload quota (review rev16).
        if (!resumed && err instanceof ChatError && err.exitCode !== ExitCode.UNREACHABLE) m.store.files.remove(t.blob);
        throw err;
      }
      const hash = createHash('sha256');
      const buf = Buffer.allocUnsafe(STREAM_CHUNK_BYTES);
      for (let i = 0; i < have; i++) hash.update(readChunk(fd, buf, i, size));
      const progress: FileProgress = {
        direction: 'up',
        blob: t.blob,
        name: t.name,
        done: Math.min(size, have * STREAM_CHUNK_BYTES),
        total: size,
        startedAt: Date.now(),
      };
      options.onProgress?.({ ...progress });
      const inflight: Promise<unknown>[] = [];
      for (let i = have; i < chunks; i++) {
        const plain = readChunk(fd, buf, i, size);
        hash.update(plain);
        const len = plain.length;
        const p = blobPut(conn, bid, i, sealChunk(plain, t.key, i, i === chunks - 1)).then(() => {
          progress.done += len;
          options.onProgress?.({ ...progress });
        });
        p.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
        inflight.push(p);
        if (inflight.length >= UPLOAD_WINDOW) await inflight.shift();
      }
      await Promise.all(inflight);
      const sha256 = hash.digest();
      m.store.files.update(t.blob, { sha256 });
      const body = encodeFileOffer({ blob: bid, size, key: t.key, sha256, name: t.name, type: t.type });
      try {
        await m.sendControl(peer, MessageKind.fileOffer, body, conn);
      } catch (err) {
        // The offer waits in the outbox (the peer's key changed meanwhile, the connection went): the upload is done and
        // the offer goes with the outbox. Left `uploading`, the transfer looked unfinished for ever, and send-file
        // again offered the same file a second time.
        if (err instanceof ChatError && err.queued) m.store.files.update(t.blob, { state: 'offered' });
        throw err;
      }
      m.store.files.update(t.blob, { state: 'offered' });
      return { ...t, sha256, state: 'offered' };
    } finally {
      await conn.close();
    }
  } finally {
    closeSync(fd);
  }
}
