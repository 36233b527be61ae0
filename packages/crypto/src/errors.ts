/**
 * The one error class this package throws for bad *data* (keys, signatures, bundles and envelopes that came from
 * someone else). Bad *arguments* from the programmer are TypeError / RangeError instead.
 */

/** Stable codes: tests assert them and PROTOCOL.md §3.2, §4, §10 and v2 (§18–§21, §25) name them. */
export type CryptoErrorCode =
  | 'BAD_LENGTH'
  | 'LOW_ORDER_POINT'
  | 'NON_CANONICAL_KEY'
  | 'OPEN_FAILED'
  | 'BUNDLE_INVALID'
  | 'ENVELOPE_MALFORMED'
  | 'ENVELOPE_OPEN_FAILED'
  | 'ENVELOPE_MISADDRESSED'
  | 'ENVELOPE_ID_MISMATCH'
  | 'ENVELOPE_BAD_SIGNATURE'
  | 'BODY_TOO_LARGE'
  | 'STREAM_CHUNK_INVALID'
  | 'STREAM_TRUNCATED'
  | 'STREAM_TRAILING_DATA'
  | 'PREKEY_BAD_SIGNATURE'
  | 'PREKEY_INVALID'
  | 'PQXDH_REPLAY'
  | 'PQXDH_INITIATION_INVALID'
  | 'KEM_INVALID'
  | 'RATCHET_HEADER_INVALID'
  | 'RATCHET_TOO_MANY_SKIPPED'
  | 'RATCHET_DUPLICATE'
  | 'RATCHET_DECRYPT_FAILED'
  | 'RATCHET_STATE_INVALID'
  | 'RATCHET_CHAIN_EXHAUSTED'
  | 'PADDING_INVALID'
  | 'GROUP_SENDER_KEY_INVALID'
  | 'GROUP_EPOCH_UNKNOWN'
  | 'GROUP_BAD_SIGNATURE'
  | 'GROUP_TOO_MANY_SKIPPED'
  | 'GROUP_DUPLICATE'
  | 'GROUP_DECRYPT_FAILED';

/** Every {@link CryptoErrorCode}, for exhaustive checks. */
export const CRYPTO_ERROR_CODES: readonly CryptoErrorCode[] = Object.freeze([
  'BAD_LENGTH',
  'LOW_ORDER_POINT',
  'NON_CANONICAL_KEY',
  'OPEN_FAILED',
  'BUNDLE_INVALID',
  'ENVELOPE_MALFORMED',
  'ENVELOPE_OPEN_FAILED',
  'ENVELOPE_MISADDRESSED',
  'ENVELOPE_ID_MISMATCH',
  'ENVELOPE_BAD_SIGNATURE',
  'BODY_TOO_LARGE',
  'STREAM_CHUNK_INVALID',
  'STREAM_TRUNCATED',
  'STREAM_TRAILING_DATA',
  'PREKEY_BAD_SIGNATURE',
  'PREKEY_INVALID',
  'PQXDH_REPLAY',
  'PQXDH_INITIATION_INVALID',
  'KEM_INVALID',
  'RATCHET_HEADER_INVALID',
  'RATCHET_TOO_MANY_SKIPPED',
  'RATCHET_DUPLICATE',
  'RATCHET_DECRYPT_FAILED',
  'RATCHET_STATE_INVALID',
  'RATCHET_CHAIN_EXHAUSTED',
  'PADDING_INVALID',
  'GROUP_SENDER_KEY_INVALID',
  'GROUP_EPOCH_UNKNOWN',
  'GROUP_BAD_SIGNATURE',
  'GROUP_TOO_MANY_SKIPPED',
  'GROUP_DUPLICATE',
  'GROUP_DECRYPT_FAILED',
] as const);

/**
 * A cryptographic check failed on data from outside: an all-zero X25519 result, a sealed box that does not open,
 * an invalid key bundle, an envelope that fails one of PROTOCOL.md §4's steps.
 *
 * @example
 * try { openEnvelope(env, me, id) } catch (e) { if (isCryptoError(e, 'ENVELOPE_OPEN_FAILED')) drop() }
 */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  /** @throws {TypeError} if `code` is not a CryptoErrorCode. */
  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    if (!CRYPTO_ERROR_CODES.includes(code)) {
      throw new TypeError(`CryptoError: expected a CryptoErrorCode, got ${String(code)}`);
    }
    super(message, options);
    this.name = 'CryptoError';
    this.code = code;
  }
}

/** True if `e` is a CryptoError, optionally with the given code. */
export function isCryptoError(e: unknown, code?: CryptoErrorCode): e is CryptoError {
  return e instanceof CryptoError && (code === undefined || e.code === code);
}
