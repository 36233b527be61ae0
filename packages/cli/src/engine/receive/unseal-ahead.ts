/**
 * The receiver's side of the unseal pool (v2/unseal-pool.ts): every v2 frame that arrives while the pool runs is sent
 * to it at once, in chunks, so its sealed box is open by the time its batch is checked; meanwhile the main thread
 * checks and commits the batches before them. `take` hands a batch its inner bytes, in order. A box the worker has not
 * claimed by then is claimed for the main thread, which opens it as without a pool (so does a frame never sent, or
 * whose chunk failed); only a box the worker is opening at that moment is waited for.
 */
import { MAX_ENVELOPE_BYTES, constantTimeEqual } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import { isV2Envelope } from '../v2/open.js';
import { type UnsealChunk, type UnsealPool, type UnsealResult, claimForMain } from '../v2/unseal-pool.js';

/** Boxes per request: large enough that messaging costs little per box, small enough that the first batch waits little. */
export const UNSEAL_CHUNK = 64;

type Inner = Uint8Array | undefined;

/** A chunk sent to the pool: its answer once it came (entries handed out are cleared), or that it failed. */
interface Sent {
  readonly chunk: UnsealChunk;
  readonly settled: Promise<void>;
  result?: UnsealResult;
  failed?: true;
}

export class UnsealAhead {
  #waiting: MsgFrame[] = [];
  readonly #sent = new Map<MsgFrame, { sent: Sent; index: number }>();
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
    const chunk = this.pool.unseal(frames.map((f) => f.env.subarray(1)));
    const sent: Sent = {
      chunk,
      settled: chunk.answer.then(
        (r) => {
          if (this.#closed) wipeAll(r);
          else sent.result = r;
        },
        () => {
          sent.failed = true;
        },
      ),
    };
    frames.forEach((f, index) => this.#sent.set(f, { sent, index }));
  }

  /**
   * The inner bytes of each of `frames` opened by the pool under `publicKey` (our encryption key now), undefined
   * where the main thread is to open it. The caller owns (and wipes) what it gets; each frame is handed out once.
   */
  async take(frames: readonly MsgFrame[], publicKey: Uint8Array): Promise<Inner[]> {
    this.flush();
    const inners: Inner[] = new Array<Inner>(frames.length).fill(undefined);
    const awaited: [number, Sent, number][] = [];
    const held = new Set<Sent>();
    frames.forEach((f, i) => {
      const e = this.#sent.get(f);
      if (e === undefined) return;
      this.#sent.delete(f);
      const { sent, index } = e;
      if (sent.result) inners[i] = handOut(sent.result, index);
      else if (sent.failed || claimForMain(sent.chunk, index)) return;
      else {
        awaited.push([i, sent, index]);
        held.add(sent);
      }
    });
    if (held.size > 0) {
      // The worker is opening one of these chunks' boxes now: the rest of each (also those of later batches) are
      // claimed here, so that it skips them and answers at once.
      for (const sent of held) for (let j = 0; j < sent.chunk.claims.length; j++) claimForMain(sent.chunk, j);
      await Promise.all(Array.from(held, (s) => s.settled));
      for (const [i, sent, index] of awaited) if (sent.result) inners[i] = handOut(sent.result, index);
    }
    // Opened under a key that is no longer ours (replaced meanwhile): the main thread decides, under the current one.
    if (constantTimeEqual(this.pool.publicKey, publicKey)) return inners;
    wipeAll(inners);
    return inners.map(() => undefined);
  }

  /** Stops sending; the inner bytes of frames never taken are wiped, now or once they arrive. */
  close(): void {
    this.#closed = true;
    this.#waiting = [];
    for (const { sent, index } of this.#sent.values()) if (sent.result) handOut(sent.result, index)?.fill(0);
    this.#sent.clear();
  }
}

/** Entry `index` of `result`, which no longer holds it; null (the main thread's box) as undefined. */
function handOut(result: UnsealResult, index: number): Inner {
  const inner = result[index] ?? undefined;
  result[index] = undefined;
  return inner;
}

const wipeAll = (inners: readonly (Uint8Array | null | undefined)[]): void => {
  for (const b of inners) b?.fill(0);
};
