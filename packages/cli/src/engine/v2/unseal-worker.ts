/**
 * Worker thread of unseal-pool.ts: opens the outer sealed box of v2 envelopes (§24.3 step 2, with `sealedBoxOpener`
 * as the main thread does), each only after claiming it (unseal-messages.ts, CLAIM_*), and answers the inner bytes:
 * the sender's name and the still-encrypted ratchet message. It holds our X25519 encryption secret key (given at its
 * start) and nothing else: no ratchet state, no plaintext body, no store. Anything that fails here is answered as "not
 * opened" and opened again on the main thread.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
// The sealed box alone (seal.ts and the four small modules it imports), not the package's index: a worker that loaded
// the whole of @chat/crypto spent ~200 ms of CPU and ~250 ms of wall before its first answer, a fifth of a
// 10,000-message drain (docs/BENCHMARKS.md, "The unseal pool on two cores").
import { sealedBoxOpener } from '@chat/crypto/seal';
import {
  CLAIM_FREE,
  CLAIM_WORKER,
  END_FAILED,
  END_SKIPPED,
  UNSEAL_WORKER_NICE,
  type UnsealKeys,
  type UnsealReply,
  type UnsealRequest,
} from './unseal-messages.js';

const keys = workerData as UnsealKeys;

try {
  // /proc/thread-self is this thread's /proc/PID/task/TID; setpriority(2) given a TID sets that thread's nice alone.
  // Only when that PID is ours: a /proc of another PID namespace (a container whose /proc was not remounted) names a
  // TID there, which here may be another process (review rev6, L2); then the worker keeps the process's priority.
  const link = /^(\d+)\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
  if (link && Number(link[1]) === process.pid) {
    const tid = Number(link[2]);
    setPriority(tid, Math.min(19, getPriority(tid) + UNSEAL_WORKER_NICE));
  }
} catch {
  // Not Linux: the worker keeps the process's priority.
}

/**
 * The key pair imported once (sealedBoxOpener), not checked and copied again for every box. The opener copies the
 * keys: those we were handed are shared with the pool and its other workers, and the pool wipes them when it closes.
 */
const open = sealedBoxOpener(keys.publicKey, keys.secretKey);

parentPort?.on('message', (req: UnsealRequest) => {
  const opened: (Uint8Array | number)[] = [];
  let total = 0;
  let start = 0;
  req.ends.forEach((end, i) => {
    let inner: Uint8Array | number;
    // Claimed just before it is opened, so the main thread takes every box not reached yet instead of waiting.
    if (Atomics.compareExchange(req.claims, i, CLAIM_FREE, CLAIM_WORKER) !== CLAIM_FREE) inner = END_SKIPPED;
    else {
      try {
        inner = open(req.data.subarray(start, end));
        total += inner.length;
      } catch {
        inner = END_FAILED;
      }
    }
    opened.push(inner);
    start = end;
  });
  const data = new Uint8Array(total);
  const ends = new Int32Array(opened.length);
  let at = 0;
  opened.forEach((inner, i) => {
    if (typeof inner === 'number') {
      ends[i] = inner;
      return;
    }
    data.set(inner, at);
    inner.fill(0);
    at += inner.length;
    ends[i] = at;
  });
  const reply: UnsealReply = { id: req.id, data, ends };
  // Transferred, not copied: no second copy of the inner bytes stays on this thread.
  parentPort?.postMessage(reply, [data.buffer, ends.buffer]);
});
