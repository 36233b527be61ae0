/**
 * The relay's blob store (PROTOCOL.md §16.4): opaque sealed chunks of end-to-end encrypted files, one `<bid>.bin`
 * (chunks back to back) and one `<bid>.json` (owner, recipient, sizes, times) per blob in `<dataDir>/blobs/`.
 * Every check of §16.4 lives here and fails with a non-fatal ProtocolError carrying the wire code.
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ProtocolError, BLOB_MAX_CHUNK_BYTES } from '@chat/protocol';
import { BlobDir } from './blob-dir.js';

/** Sealed bytes of a full chunk (§16.2). */
export const SEALED_CHUNK = BLOB_MAX_CHUNK_BYTES;
const TAG = 16;
const PLAIN_CHUNK = SEALED_CHUNK - TAG;

export interface BlobLimits {
  /** Largest ciphertext of one file (default 4 GiB). */
  maxFileBytes: number;
  /** All stored (or reserved) blob bytes of one sender (default 8 GiB). */
  blobQuotaBytes: number;
  /** An upload not complete this long after `blob_new` is deleted (default 24 h). */
  incompleteTtlMs: number;
  /** A complete blob not answered this long is deleted (default 7 days). */
  completeTtlMs: number;
  /** Blobs one sender may have stored at once, whatever their size (default 1000). */
  maxBlobsPerUser: number;
  /** Of those, unfinished uploads (default 16): each costs a `blob_new` and a metadata file, never a descriptor. */
  maxUploadsPerUser: number;
}

export const DEFAULT_BLOB_LIMITS: Readonly<BlobLimits> = Object.freeze({
  maxFileBytes: 4 * 1024 ** 3,
  blobQuotaBytes: 8 * 1024 ** 3,
  incompleteTtlMs: 24 * 3600_000,
  completeTtlMs: 7 * 24 * 3600_000,
  maxBlobsPerUser: 1000,
  maxUploadsPerUser: 16,
});

export interface BlobMeta {
  readonly bid: string; // hex
  readonly owner: string;
  readonly to: string;
  readonly size: number;
  readonly chunks: number;
  readonly createdAt: number;
  have: number;
  completedAt?: number;
}

/** True if `size` bytes in `chunks` chunks can be a STREAM ciphertext (§16.2). */
export function isStreamShape(size: number, chunks: number): boolean {
  const plain = size - TAG * chunks;
  return chunks >= 1 && plain >= 0 && chunks === Math.max(1, Math.ceil(plain / PLAIN_CHUNK));
}

function refuse(code: ConstructorParameters<typeof ProtocolError>[0], msg: string): never {
  throw new ProtocolError(code, msg);
}

/**
 * No descriptor outlives the call that opened it: a chunk is written (and read) by open, write, close. An upload left
 * unfinished, a client gone mid-upload or a reader that stopped reading therefore pins nothing, and the number of open
 * descriptors does not grow with accounts (each of which could otherwise hold `maxUploadsPerUser` of them for 24 h).
 * Every file is opened through `BlobDir`: never through a symlink, never a file another user planted (blob-dir.ts).
 */
export class BlobStore {
  private readonly metas = new Map<string, BlobMeta>();
  private readonly files: BlobDir;

  /** @throws {DataDirUnsafeError} when `dir` exists but is a link, another user's or writable by others. */
  constructor(
    private readonly dir: string,
    readonly limits: BlobLimits,
    uid: number | undefined = process.getuid?.(),
  ) {
    this.files = new BlobDir(dir, uid);
    // Made on the first upload, so a relay that never stored a file has no blobs/ directory.
    for (const name of this.files.exists() ? readdirSync(dir) : []) {
      if (name.endsWith('.part')) rmSync(join(dir, name), { force: true });
      if (!name.endsWith('.json')) continue;
      try {
        const fd = this.files.open(name, constants.O_RDONLY);
        let text: string;
        try {
          text = readFileSync(fd, 'utf8');
        } finally {
          closeSync(fd);
        }
        const m = JSON.parse(text) as BlobMeta;
        m.have = m.completedAt === undefined ? this.confirmedChunks(m) : m.chunks;
        this.metas.set(m.bid, m);
      } catch {
        rmSync(join(dir, name), { force: true }); // a torn metadata file: its upload starts over
      }
    }
  }

  /** After a restart only whole chunks on disk count; a torn tail is cut off and re-sent (§16.1). */
  private confirmedChunks(m: BlobMeta): number {
    let fd: number;
    try {
      fd = this.files.open(this.bin(m.bid), constants.O_RDWR);
    } catch {
      return 0;
    }
    try {
      const have = Math.min(Math.floor(fstatSync(fd).size / SEALED_CHUNK), m.chunks - 1);
      ftruncateSync(fd, have * SEALED_CHUNK);
      return have;
    } finally {
      closeSync(fd);
    }
  }

  /** The name of a blob's chunk file inside the blobs directory. */
  private bin(bid: string): string {
    return `${bid}.bin`;
  }

  /** Written aside and renamed over the old one (rename replaces a link, it never writes through one). */
  private writeMeta(m: BlobMeta): void {
    const name = `${m.bid}.json`;
    const fd = this.files.create(`${name}.part`);
    try {
      const text = Buffer.from(JSON.stringify(m));
      let done = 0;
      while (done < text.length) done += writeSync(fd, text, done, text.length - done);
    } finally {
      closeSync(fd);
    }
    renameSync(join(this.dir, `${name}.part`), join(this.dir, name));
  }

  /** Bytes stored or reserved by `owner`'s blobs. */
  usage(owner: string): number {
    let n = 0;
    for (const m of this.metas.values()) if (m.owner === owner) n += m.size;
    return n;
  }

  /** Number of blobs and their total bytes (for tests and stats). */
  totals(): { blobs: number; bytes: number } {
    let bytes = 0;
    for (const m of this.metas.values()) bytes += m.size;
    return { blobs: this.metas.size, bytes };
  }

  has(bid: string): boolean {
    return this.metas.has(bid);
  }

  /** `blob_new` after `to` was checked: returns `have` (0 for a new blob). */
  create(owner: string, bid: string, to: string, size: number, chunks: number, now: number): number {
    if (!isStreamShape(size, chunks)) refuse('BAD_BLOB', `${size} bytes cannot be ${chunks} sealed chunks`);
    if (size > this.limits.maxFileBytes) {
      refuse('FILE_TOO_LARGE', `files are at most ${this.limits.maxFileBytes} bytes sealed on this relay`);
    }
    const old = this.metas.get(bid);
    if (old) {
      if (old.owner !== owner || old.to !== to || old.size !== size || old.chunks !== chunks) {
        refuse('BLOB_CONFLICT', 'this blob id is taken');
      }
      return old.have;
    }
    const used = this.usage(owner);
    let count = 0;
    let uploading = 0;
    for (const b of this.metas.values()) {
      if (b.owner !== owner) continue;
      count++;
      if (b.completedAt === undefined) uploading++;
    }
    if (count >= this.limits.maxBlobsPerUser) {
      refuse('QUOTA_EXCEEDED', `you have ${count} files waiting on this relay, the most it keeps per sender`);
    }
    if (uploading >= this.limits.maxUploadsPerUser) {
      refuse(
        'QUOTA_EXCEEDED',
        `you have ${uploading} unfinished uploads on this relay, the most it allows at once; finish or cancel one`,
      );
    }
    if (used + size > this.limits.blobQuotaBytes) {
      refuse(
        'QUOTA_EXCEEDED',
        `stored files would exceed your quota of ${this.limits.blobQuotaBytes} bytes (${used} in use)`,
      );
    }
    const m: BlobMeta = { bid, owner, to, size, chunks, createdAt: now, have: 0 };
    closeSync(this.files.create(this.bin(bid)));
    this.writeMeta(m);
    this.metas.set(bid, m);
    return 0;
  }

  /** `blob_put`: appends chunk `n`; returns the new `have`. */
  put(owner: string, bid: string, n: number, data: Uint8Array, now: number): number {
    const m = this.metas.get(bid);
    if (!m || m.owner !== owner) refuse('NO_SUCH_BLOB', 'no such upload');
    if (m.have === m.chunks) refuse('BAD_BLOB', 'the upload is already complete');
    if (n !== m.have) refuse('BLOB_OUT_OF_ORDER', `have=${m.have}`);
    const last = n === m.chunks - 1;
    if (last ? n * SEALED_CHUNK + data.length !== m.size : data.length !== SEALED_CHUNK) {
      refuse('BAD_BLOB', `chunk ${n} has the wrong size (${data.length} bytes)`);
    }
    const fd = this.files.open(this.bin(bid), constants.O_RDWR);
    try {
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done, n * SEALED_CHUNK + done);
      if (last) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    m.have = n + 1;
    if (last) {
      m.completedAt = now;
      this.writeMeta(m);
    }
    return m.have;
  }

  /** The blob `bid` if `user` is its recipient (or, with `ownerToo`, its owner). */
  forRecipient(user: string, bid: string, ownerToo = false): BlobMeta {
    const m = this.metas.get(bid);
    if (!m || (m.to !== user && !(ownerToo && m.owner === user))) refuse('NO_SUCH_BLOB', 'no such file on this relay');
    return m;
  }

  /** Reads sealed chunk `n` of a complete blob (open, read, close: nothing stays open while the reader is slow). */
  readChunk(m: BlobMeta, n: number): Buffer {
    const len = n === m.chunks - 1 ? m.size - n * SEALED_CHUNK : SEALED_CHUNK;
    const out = Buffer.allocUnsafe(len);
    const fd = this.files.open(this.bin(m.bid), constants.O_RDONLY);
    try {
      let got = 0;
      while (got < len) {
        const r = readSync(fd, out, got, len - got, n * SEALED_CHUNK + got);
        if (r === 0) throw new Error(`blob ${m.bid} is shorter than its metadata says`);
        got += r;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }

  /** Deletes a blob and its metadata. */
  delete(bid: string): void {
    this.metas.delete(bid);
    rmSync(join(this.dir, `${bid}.json`), { force: true });
    rmSync(join(this.dir, this.bin(bid)), { force: true });
  }

  /** Deletes incomplete uploads and unanswered blobs past their lifetime; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const m of [...this.metas.values()]) {
      const dead =
        m.completedAt === undefined
          ? now - m.createdAt > this.limits.incompleteTtlMs
          : now - m.completedAt > this.limits.completeTtlMs;
      if (dead) {
        this.delete(m.bid);
        n++;
      }
    }
    return n;
  }

  /** Nothing to release: no descriptor is held between calls. Kept so the relay's shutdown reads the same. */
  close(): void {}
}
