/**
 * The relay's blob store (PROTOCOL.md §16.4): opaque sealed chunks of end-to-end encrypted files, one `<bid>.bin`
 * (chunks back to back) and one `<bid>.json` (owner, recipient, sizes, times) per blob in `<dataDir>/blobs/`.
 * The checks of §16.4 are in rules.ts (shared with the PostgreSQL engine) and fail with a non-fatal ProtocolError
 * carrying the wire code; `fileBlobs` puts this store behind the asynchronous `Blobs` interface.
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
import { BlobDir } from './blob-dir.js';
import {
  type BlobLimits,
  type BlobMeta,
  type Blobs,
  SEALED_CHUNK,
  checkChunk,
  checkNewBlob,
  checkQuota,
  checkReader,
  isExpired,
  resumeBlob,
} from './rules.js';

export { type BlobLimits, type BlobMeta, SEALED_CHUNK, isStreamShape } from './rules.js';

export const DEFAULT_BLOB_LIMITS: Readonly<BlobLimits> = Object.freeze({
  maxFileBytes: 4 * 1024 ** 3,
  blobQuotaBytes: 8 * 1024 ** 3,
  incompleteTtlMs: 24 * 3600_000,
  completeTtlMs: 7 * 24 * 3600_000,
  maxBlobsPerUser: 1000,
  maxUploadsPerUser: 16,
});

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
    checkNewBlob(this.limits, size, chunks);
    const old = this.metas.get(bid);
    if (old) return resumeBlob(old, owner, to, size, chunks);
    const usage = { count: 0, uploading: 0, bytes: 0 };
    for (const b of this.metas.values()) {
      if (b.owner !== owner) continue;
      usage.count++;
      usage.bytes += b.size;
      if (b.completedAt === undefined) usage.uploading++;
    }
    checkQuota(this.limits, usage, size);
    const m: BlobMeta = { bid, owner, to, size, chunks, createdAt: now, have: 0 };
    closeSync(this.files.create(this.bin(bid)));
    this.writeMeta(m);
    this.metas.set(bid, m);
    return 0;
  }

  /** `blob_put`: appends chunk `n`; returns the new `have`. */
  put(owner: string, bid: string, n: number, data: Uint8Array, now: number): number {
    const m = this.metas.get(bid);
    checkChunk(m, owner, n, data);
    const last = n === m.chunks - 1;
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
    return checkReader(this.metas.get(bid), user, ownerToo);
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
      if (isExpired(this.limits, m, now)) {
        this.delete(m.bid);
        n++;
      }
    }
    return n;
  }

  /** Nothing to release: no descriptor is held between calls. Kept so the relay's shutdown reads the same. */
  close(): void {}
}

/** The file engine behind the asynchronous `Blobs` interface: each call does its work at once, as before. */
export function fileBlobs(store: BlobStore): Blobs {
  return {
    limits: store.limits,
    create: async (owner, bid, to, size, chunks, now) => store.create(owner, bid, to, size, chunks, now),
    put: async (owner, bid, n, data, now) => store.put(owner, bid, n, data, now),
    forRecipient: async (user, bid, ownerToo) => store.forRecipient(user, bid, ownerToo),
    readChunk: async (m, n) => store.readChunk(m, n),
    has: async (bid) => store.has(bid),
    delete: async (bid) => store.delete(bid),
    expire: async (now) => store.expire(now),
    totals: async () => store.totals(),
    close: async () => store.close(),
  };
}
