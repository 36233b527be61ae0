/**
 * Worker thread of signatures.ts: runs §4 step 6 (`verifyEnvelopeSignature`, the same function the main thread
 * uses) on opened envelopes and answers one result byte per envelope. It only ever sees public data: signed fields,
 * signatures and the senders' public keys. No secret key is sent to it.
 */
import { parentPort } from 'node:worker_threads';
// The envelope module and what it imports, not the package's index (ML-KEM, the ratchet, …): loading the index cost
// the worker ~95 ms of CPU before its first answer, these ~35 ms (as the unseal worker imports @chat/crypto/seal).
import { verifyEnvelopeSignature } from '@chat/crypto/envelope';
import { CryptoError } from '@chat/crypto/errors';
import { isEnvelopeErrorCode } from './errors.js';
import { SignatureResult, type VerifyReply, type VerifyRequest } from './signature-result.js';

parentPort?.on('message', (req: VerifyRequest) => {
  const results = new Uint8Array(req.jobs.length);
  req.jobs.forEach((job, i) => {
    try {
      verifyEnvelopeSignature(job.opened, job.publicKey);
      results[i] = SignatureResult.verified;
    } catch (err) {
      results[i] =
        err instanceof CryptoError && isEnvelopeErrorCode(err.code) ? SignatureResult.failed : SignatureResult.error;
    }
  });
  const reply: VerifyReply = { id: req.id, results };
  parentPort?.postMessage(reply, [results.buffer]);
});
