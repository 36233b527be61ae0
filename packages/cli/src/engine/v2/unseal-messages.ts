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
 * A box's claim (`claims[i]`, shared by the main thread and the worker): whoever changes it from FREE first, with
 * `Atomics.compareExchange`, opens the box; the other leaves it. So the main thread, reaching a box the worker has not
 * come to yet, opens it itself instead of waiting, and no box is opened twice.
 */
export const CLAIM_FREE = 0;
export const CLAIM_WORKER = 1;
export const CLAIM_MAIN = 2;

/**
 * A chunk of sealed boxes, concatenated in one transferred buffer (a delivered frame's bytes are usually a view into
 * a larger socket buffer, which structured cloning would copy whole): box i is `data[ends[i-1] .. ends[i])`. `claims`
 * is the chunk's own SharedArrayBuffer, one Int32 per box (CLAIM_*).
 */
export interface UnsealRequest {
  id: number;
  data: Uint8Array;
  ends: Uint32Array;
  claims: Int32Array;
}

/** `ends[i]` of a box that did not open (the main thread opens it again itself, and reports its own error). */
export const END_FAILED = -1;
/** `ends[i]` of a box the main thread claimed first: not opened here. */
export const END_SKIPPED = -2;

/** The opened boxes, concatenated the same way; `ends[i]` is END_FAILED or END_SKIPPED for one not opened here. */
export interface UnsealReply {
  id: number;
  data: Uint8Array;
  ends: Int32Array;
}

/**
 * How much nicer than the thread that starts it an unseal worker runs (Linux keeps a nice value per thread). The
 * scheduler shares a core equally among the threads that want it, so on two cores a worker at the same priority took
 * time from the main thread (the drain's critical path), the relay and V8's own threads. Niced, it runs mostly on the
 * time they leave, and the main thread opens every box the worker has not claimed (CLAIM_*); at +10 it still gets
 * about a tenth of a contended core, so a box it has claimed is answered soon.
 */
export const UNSEAL_WORKER_NICE = 10;
