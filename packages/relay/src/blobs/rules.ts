/**
 * The checks of PROTOCOL.md §16.4 that do not depend on where blobs are kept: every blob engine (the files of
 * `store.ts`, the rows of `store/postgres-blobs.ts`) runs these, so both refuse the same requests with the same codes.
 */
import { BLOB_MAX_CHUNK_BYTES, ProtocolError } from '@chat/protocol';

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

/** What one owner holds: blobs, of them unfinished uploads, and bytes stored or reserved. */
export interface OwnerUsage {
  count: number;
  uploading: number;
  bytes: number;
}

/** True if `size` bytes in `chunks` chunks can be a STREAM ciphertext (§16.2). */
export function isStreamShape(size: number, chunks: number): boolean {
  const plain = size - TAG * chunks;
  return chunks >= 1 && plain >= 0 && chunks === Math.max(1, Math.ceil(plain / PLAIN_CHUNK));
}

export function refuse(code: ConstructorParameters<typeof ProtocolError>[0], msg: string): never {
  throw new ProtocolError(code, msg);
}

/** `blob_new`'s shape and size checks, before anything is looked up. */
export function checkNewBlob(limits: BlobLimits, size: number, chunks: number): void {
  if (!isStreamShape(size, chunks)) refuse('BAD_BLOB', `${size} bytes cannot be ${chunks} sealed chunks`);
  if (size > limits.maxFileBytes) {
    refuse('FILE_TOO_LARGE', `files are at most ${limits.maxFileBytes} bytes sealed on this relay`);
  }
}

/** A `blob_new` for a bid that exists: the same upload again (its `have`), or `BLOB_CONFLICT`. */
export function resumeBlob(old: BlobMeta, owner: string, to: string, size: number, chunks: number): number {
  if (old.owner !== owner || old.to !== to || old.size !== size || old.chunks !== chunks) {
    refuse('BLOB_CONFLICT', 'this blob id is taken');
  }
  return old.have;
}

/** `blob_new`'s per-sender limits, given what the sender holds now. */
export function checkQuota(limits: BlobLimits, usage: OwnerUsage, size: number): void {
  if (usage.count >= limits.maxBlobsPerUser) {
    refuse('QUOTA_EXCEEDED', `you have ${usage.count} files waiting on this relay, the most it keeps per sender`);
  }
  if (usage.uploading >= limits.maxUploadsPerUser) {
    refuse(
      'QUOTA_EXCEEDED',
      `you have ${usage.uploading} unfinished uploads on this relay, the most it allows at once; finish or cancel one`,
    );
  }
  if (usage.bytes + size > limits.blobQuotaBytes) {
    refuse(
      'QUOTA_EXCEEDED',
      `stored files would exceed your quota of ${limits.blobQuotaBytes} bytes (${usage.bytes} in use)`,
    );
  }
}

/** `blob_put`'s checks of chunk `n` against the upload `m`. */
export function checkChunk(m: BlobMeta | undefined, owner: string, n: number, data: Uint8Array): asserts m is BlobMeta {
  if (!m || m.owner !== owner) refuse('NO_SUCH_BLOB', 'no such upload');
  if (m.have === m.chunks) refuse('BAD_BLOB', 'the upload is already complete');
  if (n !== m.have) refuse('BLOB_OUT_OF_ORDER', `have=${m.have}`);
  const last = n === m.chunks - 1;
  if (last ? n * SEALED_CHUNK + data.length !== m.size : data.length !== SEALED_CHUNK) {
    refuse('BAD_BLOB', `chunk ${n} has the wrong size (${data.length} bytes)`);
  }
}

/** `blob_get` / `blob_done`'s access check: `user` is the recipient (or, with `ownerToo`, the owner). */
export function checkReader(m: BlobMeta | undefined, user: string, ownerToo: boolean): BlobMeta {
  if (!m || (m.to !== user && !(ownerToo && m.owner === user))) refuse('NO_SUCH_BLOB', 'no such file on this relay');
  return m;
}

/** Whether a blob is past its lifetime at `now`. */
export function isExpired(limits: BlobLimits, m: Pick<BlobMeta, 'createdAt' | 'completedAt'>, now: number): boolean {
  return m.completedAt === undefined
    ? now - m.createdAt > limits.incompleteTtlMs
    : now - m.completedAt > limits.completeTtlMs;
}

/**
 * Blob storage as the relay's frame handlers use it (§16.4): asynchronous, so that an engine on the network fits
 * (PostgreSQL rows, `store/postgres-blobs.ts`) beside the files of the data directory (`store.ts`, wrapped by
 * `fileBlobs`). Refusals reject with a non-fatal ProtocolError carrying the wire code.
 */
export interface Blobs {
  readonly limits: BlobLimits;
  /** `blob_new` after `to` was checked: resolves with `have` (0 for a new blob). */
  create(owner: string, bid: string, to: string, size: number, chunks: number, now: number): Promise<number>;
  /** `blob_put`: stores chunk `n`; resolves with the new `have`. */
  put(owner: string, bid: string, n: number, data: Uint8Array, now: number): Promise<number>;
  /** The blob `bid` if `user` is its recipient (or, with `ownerToo`, its owner). */
  forRecipient(user: string, bid: string, ownerToo?: boolean): Promise<BlobMeta>;
  /** Sealed chunk `n` of a complete blob. */
  readChunk(m: BlobMeta, n: number): Promise<Uint8Array>;
  has(bid: string): Promise<boolean>;
  delete(bid: string): Promise<void>;
  /** Deletes incomplete uploads and unanswered blobs past their lifetime; resolves with how many. */
  expire(now: number): Promise<number>;
  totals(): Promise<{ blobs: number; bytes: number }>;
  close(): Promise<void>;
}
