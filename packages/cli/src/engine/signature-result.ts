/**
 * What the main thread and the signature worker (signatures.ts, verify-worker.ts) exchange. Kept apart from
 * signatures.ts so that the receiver can read the answers without loading node:worker_threads (~5 ms of start-up
 * for every `chat recv`, which needs no worker for a few messages).
 */
import type { OpenedEnvelope } from '@chat/crypto';

/** One byte per envelope in a reply. */
export const SignatureResult = {
  /** `verifyEnvelopeSignature` returned: the signature verifies under the key given. */
  verified: 1,
  /** It threw an envelope error (ENVELOPE_BAD_SIGNATURE): it does not verify under that key. */
  failed: 2,
  /** It threw anything else: the caller verifies again on its own thread, where the error surfaces as before. */
  error: 3,
} as const;

/** The fields of an opened envelope that the signature check reads (all of them public). */
export type SignedFields = Pick<
  OpenedEnvelope,
  'kind' | 'from' | 'to' | 'id' | 'ts' | 'body' | 'signature' | 'signedMessage'
>;

export interface VerifyRequest {
  id: number;
  jobs: { opened: SignedFields; publicKey: Uint8Array }[];
}

export interface VerifyReply {
  id: number;
  results: Uint8Array;
}
