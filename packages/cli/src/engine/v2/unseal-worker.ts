/**
 * Worker thread of unseal-pool.ts: opens the outer sealed box of v2 envelopes (§24.3 step 2, the same `openSealed`
 * the main thread uses) and answers the inner bytes: the sender's name and the still-encrypted ratchet message. It
 * holds our X25519 encryption secret key (given at its start) and nothing else: no ratchet state, no plaintext body,
 * no store. Anything that fails here is answered as "not opened" and opened again on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
// The sealed box alone (seal.ts and the four small modules it imports), not the package's index: a worker that loaded
// the whole of @chat/crypto spent ~200 ms of CPU and ~250 ms of wall before its first answer, a fifth of a
// 10,000-message drain (docs/BENCHMARKS.md, "The unseal pool on two cores").
import { openSealed } from '@chat/crypto/seal';
import type { UnsealKeys, UnsealReply, UnsealRequest } from './unseal-messages.js';

const keys = workerData as UnsealKeys;

parentPort?.on('message', (req: UnsealRequest) => {
  const opened: (Uint8Array | undefined)[] = [];
  let total = 0;
  let start = 0;
  for (const end of req.ends) {
    let inner: Uint8Array | undefined;
    try {
      inner = openSealed(req.data.subarray(start, end), keys.publicKey, keys.secretKey);
      total += inner.length;
    } catch {
      inner = undefined;
    }
    opened.push(inner);
    start = end;
  }
  const data = new Uint8Array(total);
  const ends = new Int32Array(opened.length);
  let at = 0;
  opened.forEach((inner, i) => {
    if (inner === undefined) {
      ends[i] = -1;
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
