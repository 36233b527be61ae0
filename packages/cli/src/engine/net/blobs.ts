/**
 * The file transfer requests (PROTOCOL.md §16.4) over a connection's request primitives: announce or resume an
 * upload, store a chunk, fetch chunks, and tell the relay a blob is done with.
 */
import type { BlobOkFrame } from '@chat/protocol';
import type { Connection } from './connection.js';

type Requests = Pick<Connection, 'request' | 'stream'>;

/** Announces (or resumes) an upload; resolves with `have`. @throws {ChatError} FILE_TOO_LARGE, QUOTA_EXCEEDED, … */
export async function blobNew(
  conn: Requests,
  bid: Uint8Array,
  to: string,
  size: number,
  chunks: number,
): Promise<number> {
  return ((await conn.request((rid) => ({ t: 'blob_new', rid, bid, to, size, chunks }), 'blob_ok', to)) as BlobOkFrame)
    .have;
}

/** Stores sealed chunk `n`; resolves with `have`. Several may be in flight: the relay answers in order. */
export async function blobPut(conn: Requests, bid: Uint8Array, n: number, data: Uint8Array): Promise<number> {
  return ((await conn.request((rid) => ({ t: 'blob_put', rid, bid, n, data }), 'blob_ok')) as BlobOkFrame).have;
}

/** Fetches chunks `from` … `chunks − 1`, handing each to `onChunk` in order; resolves after the last. */
export function blobGet(
  conn: Requests,
  bid: Uint8Array,
  from: number,
  chunks: number,
  onChunk: (n: number, data: Uint8Array) => void,
): Promise<void> {
  return conn.stream((rid) => ({ t: 'blob_get', rid, bid, from }), from, chunks - 1, onChunk);
}

/** Tells the relay we received or declined a blob (or cancel our own); it deletes it. */
export async function blobDone(conn: Requests, bid: Uint8Array, outcome: 'received' | 'declined'): Promise<void> {
  await conn.request((rid) => ({ t: 'blob_done', rid, bid, outcome }), 'blob_ok');
}
