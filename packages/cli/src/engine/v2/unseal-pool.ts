/**
 * Opening the outer sealed boxes of v2 envelopes (§24.3 step 2, one X25519 per envelope: about a third of a login
 * drain's CPU on the main thread) on worker threads, so that a long drain uses the other cores: the workers open the
 * boxes of the frames still queued while the main thread decrypts and commits the batch before them. Each box has a
 * claim shared by both threads (unseal-messages.ts): a box the worker has not reached when its batch is checked is
 * claimed and opened by the main thread instead of waited for, and the worker skips it: on two cores, where the
 * worker shares its core with the relay and V8's own threads, the work splits itself between the two threads.
 *
 * Optional by design, like the signature worker (signatures.ts): a box a worker could not open, or a worker that
 * failed or was closed, is opened again on the main thread, so every rejection and its code are the main thread's
 * own; a worker only ever saves time. The workers hold our encryption secret key (needed to open the box) and see
 * the inner bytes (the sender's name, the still-encrypted ratchet message), never a ratchet state or a message body.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CLAIM_FREE,
  CLAIM_MAIN,
  CLAIM_WORKER,
  END_SKIPPED,
  type UnsealKeys,
  type UnsealReply,
  type UnsealRequest,
} from './unseal-messages.js';

/** Per box: its inner bytes; undefined where it did not open there; null where the main thread claimed it first. */
export type UnsealResult = (Uint8Array | undefined | null)[];

/** One request to the pool: its boxes' claims (shared with the worker that opens them) and its answer. */
export interface UnsealChunk {
  readonly claims: Int32Array;
  /** Rejects if the worker failed or the pool was closed: the caller then opens those boxes itself. */
  readonly answer: Promise<UnsealResult>;
}

/**
 * Claims box `i` of `chunk` for the main thread unless the worker has claimed it first: true if the box is the main
 * thread's to open (claimed now or before), false if the worker holds it (its answer will carry it).
 */
export const claimForMain = (chunk: UnsealChunk, i: number): boolean =>
  Atomics.compareExchange(chunk.claims, i, CLAIM_FREE, CLAIM_MAIN) !== CLAIM_WORKER;

/**
 * The worker is tsc's dist/engine/v2/unseal-worker.js. This module sits beside it when run from tsc's output; in the
 * bundled `chat` it is in dist/bin/chat.js or dist/bin/chunks/, and in the packed one both are in bin/chunks/.
 */
function builtWorker(): URL | undefined {
  for (const rel of [
    './unseal-worker.js',
    '../engine/v2/unseal-worker.js',
    '../../engine/v2/unseal-worker.js',
    './chunks/unseal-worker.js',
  ]) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/** One worker and the requests it has not answered. */
class Lane {
  readonly pending = new Map<number, { resolve: (r: UnsealResult) => void; reject: (e: Error) => void }>();
  failure: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.unref(); // never what keeps the process alive
    worker.on('message', (reply: UnsealReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(split(reply));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => this.fail(new Error('an unseal worker exited')));
  }

  fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

function split(reply: UnsealReply): UnsealResult {
  let start = 0;
  return Array.from(reply.ends, (end) => {
    if (end === END_SKIPPED) return null;
    if (end < 0) return undefined; // END_FAILED: opened again on the main thread
    const inner = reply.data.subarray(start, end);
    start = end;
    return inner;
  });
}

export class UnsealPool {
  readonly #lanes: Lane[];
  #next = 1;

  private constructor(
    readonly publicKey: Uint8Array,
    workers: Worker[],
    private readonly sharedKeys: Uint8Array,
  ) {
    this.#lanes = workers.map((w) => new Lane(w));
  }

  /**
   * A pool of `size` workers opening boxes for `keys`, or undefined where there is no worker script (running from
   * the TypeScript sources, as the unit tests do: the worker is the built unseal-worker.js) or none could start.
   */
  static start(keys: UnsealKeys, size: number, url: URL | undefined = builtWorker()): UnsealPool | undefined {
    if (url === undefined || (url.protocol === 'file:' && !existsSync(fileURLToPath(url)))) return undefined;
    // The workers read the key pair from memory shared with this thread (not copied into a message that would be
    // freed unwiped), which `close` wipes once they are gone; each worker's opener keeps its own copy (review rev8).
    const shared = new Uint8Array(new SharedArrayBuffer(64));
    shared.set(keys.publicKey);
    shared.set(keys.secretKey, 32);
    const workerData: UnsealKeys = { publicKey: shared.subarray(0, 32), secretKey: shared.subarray(32) };
    let workers: Worker[] = [];
    try {
      for (let i = 0; i < size; i++) workers.push(new Worker(url, { workerData }));
    } catch {
      for (const w of workers) void w.terminate();
      workers = [];
    }
    if (workers.length > 0) return new UnsealPool(keys.publicKey, workers, shared);
    shared.fill(0);
    return undefined;
  }

  /**
   * Sends the sealed boxes (§24.3 step 2) to a worker (the requests go round the live ones); its answer carries their
   * inner bytes in order. A box the main thread claims first (`claimForMain`) the worker skips.
   */
  unseal(boxes: readonly Uint8Array[]): UnsealChunk {
    const claims = new Int32Array(new SharedArrayBuffer(4 * boxes.length));
    return { claims, answer: this.#send(boxes, claims) };
  }

  #send(boxes: readonly Uint8Array[], claims: Int32Array): Promise<UnsealResult> {
    const id = this.#next++;
    const live = this.#lanes.filter((l) => l.failure === undefined);
    if (live.length === 0) return Promise.reject(new Error('no unseal worker is running'));
    const lane = live[id % live.length]!;
    const ends = new Uint32Array(boxes.length);
    let total = 0;
    boxes.forEach((b, i) => {
      total += b.length;
      ends[i] = total;
    });
    const data = new Uint8Array(total);
    boxes.forEach((b, i) => data.set(b, i === 0 ? 0 : ends[i - 1]));
    return new Promise((resolve, reject) => {
      lane.pending.set(id, { resolve, reject });
      const req: UnsealRequest = { id, data, ends, claims };
      try {
        lane.worker.postMessage(req, [data.buffer, ends.buffer]);
      } catch (err) {
        lane.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Stops every worker, whatever is still pending rejecting, and wipes the key pair they read (their openers' copies go
   * with their threads).
   */
  async close(): Promise<void> {
    for (const l of this.#lanes) l.fail(new Error('the unseal pool was closed'));
    try {
      await Promise.all(this.#lanes.map((l) => l.worker.terminate()));
    } finally {
      this.sharedKeys.fill(0);
    }
  }
}
