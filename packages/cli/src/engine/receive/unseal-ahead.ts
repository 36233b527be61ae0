/**
 * The receiver's side of the unseal pool (v2/unseal-pool.ts): every v2 frame that arrives while the pool runs is sent
 * to it at once, in chunks, so its sealed box is open by the time its batch is checked; meanwhile the main thread
 * checks and commits the batches before it. `take` hands a batch its inner bytes, in order; a frame never sent, or
 * whose chunk failed, gets undefined and is opened on the main thread as without a pool.
 */
import { MAX_ENVELOPE_BYTES, constantTimeEqual } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import { isV2Envelope } from '../v2/open.js';
import type { UnsealPool } from '../v2/unseal-pool.js';

/** Boxes per request: large enough that messaging costs little per box, small enough that the first batch waits little. */
export const UNSEAL_CHUNK = 64;

type Inner = Uint8Array | undefined;

export class UnsealAhead {
  #waiting: MsgFrame[] = [];
  readonly #results = new Map<MsgFrame, Promise<Inner>>();
  #scheduled = false;
  #closed = false;

  constructor(private readonly pool: UnsealPool) {}

  /** Sends `frame`'s sealed box to the pool (with the next chunk) if it is a v2 envelope. */
  add(frame: MsgFrame): void {
    if (this.#closed || !isV2Envelope(frame.env) || frame.env.length > MAX_ENVELOPE_BYTES) return;
    this.#waiting.push(frame);
    if (this.#waiting.length >= UNSEAL_CHUNK) this.flush();
    else if (!this.#scheduled) {
      // The rest of what one socket read delivered joins this chunk.
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Sends what is waiting now. */
  flush(): void {
    if (this.#waiting.length === 0) return;
    const frames = this.#waiting;
    this.#waiting = [];
    const answer = this.pool.unseal(frames.map((f) => f.env.subarray(1)));
    frames.forEach((f, i) =>
      this.#results.set(
        f,
        answer.then(
          (r) => r[i],
          () => undefined,
        ),
      ),
    );
  }

  /**
   * The inner bytes of each of `frames` opened by the pool under `publicKey` (our encryption key now), undefined
   * where there are none. The caller owns (and wipes) what it gets; each frame is handed out once.
   */
  async take(frames: readonly MsgFrame[], publicKey: Uint8Array): Promise<Inner[]> {
    this.flush();
    const inners = await Promise.all(
      frames.map((f) => {
        const p = this.#results.get(f);
        if (p === undefined) return undefined;
        this.#results.delete(f);
        return p;
      }),
    );
    // Opened under a key that is no longer ours (replaced meanwhile): the main thread decides, under the current one.
    if (constantTimeEqual(this.pool.publicKey, publicKey)) return inners;
    for (const b of inners) b?.fill(0);
    return inners.map(() => undefined);
  }

  /** Stops sending; the inner bytes of frames never taken are wiped once they arrive. */
  close(): void {
    this.#closed = true;
    this.#waiting = [];
    for (const p of this.#results.values()) void p.then((b) => b?.fill(0));
    this.#results.clear();
  }
}
