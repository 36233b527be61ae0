/**
 * What the main thread and the unseal workers (unseal-pool.ts, unseal-worker.ts) exchange. Kept apart from
 * unseal-pool.ts so that the worker does not load the pool (and the pool's types cost nothing at run time).
 */

/** The keys a worker opens sealed boxes with: our X25519 encryption key pair (§2), given once at its start. */
export interface UnsealKeys {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * A chunk of sealed boxes, concatenated in one transferred buffer (a delivered frame's bytes are usually a view into
 * a larger socket buffer, which structured cloning would copy whole): box i is `data[ends[i-1] .. ends[i])`.
 */
export interface UnsealRequest {
  id: number;
  data: Uint8Array;
  ends: Uint32Array;
}

/**
 * The opened boxes, concatenated the same way; `ends[i]` is -1 for a box that did not open (the main thread opens it
 * again itself, so the error it reports is exactly the one it would have reported without a worker).
 */
export interface UnsealReply {
  id: number;
  data: Uint8Array;
  ends: Int32Array;
}
