/** Envelopes: sign, then seal (PROTOCOL.md §4). */
import { randomBytes } from 'node:crypto';
import { bytesArg, concat, constantTimeEqual, exactBytes, wipe } from './bytes.js';
import { usernameArg } from './bundle.js';
import {
  ENVELOPE_VERSION,
  MAX_ENVELOPE_BYTES,
  MESSAGE_ID_BYTES,
  MESSAGE_LABEL,
  PUBLIC_KEY_BYTES,
  SEAL_OVERHEAD_BYTES,
  SECRET_KEY_BYTES,
} from './constants.js';
import { sign, verify } from './ed25519.js';
import { CryptoError } from './errors.js';
import type { KeyPair } from './identity.js';
import { encodeSigned, parseInner, type MessageFields } from './inner.js';
import { openSealed, seal } from './seal.js';

const LABEL = new TextEncoder().encode(MESSAGE_LABEL);

/** An envelope that passed §4 steps 1–5; its signature (step 6) is checked by {@link verifyEnvelopeSignature}. */
export interface OpenedEnvelope extends MessageFields {
  signature: Uint8Array;
  /** The exact bytes the signature covers: `"chat/v1/msg\0" ‖ recipient_encryption_pk ‖ signed`. */
  signedMessage: Uint8Array;
}

/**
 * Signs `msg` for the recipient and seals it to the recipient's encryption key (§4):
 * `0x01 ‖ seal(signed ‖ sig, recipient_encryption_pk)` with
 * `sig = Ed25519.sign(sk, "chat/v1/msg\0" ‖ recipient_encryption_pk ‖ signed)`.
 *
 * @throws {CryptoError} `BODY_TOO_LARGE` if the body is over MAX_BODY_BYTES; `LOW_ORDER_POINT` if the recipient's
 *   key has low order.
 * @throws {TypeError} / {RangeError} on a bad field or key (unknown kind, invalid username, id not 16 bytes, ts not
 *   a safe non-negative integer, a text body that is not UTF-8, a key not 32 bytes).
 * @example const env = sealEnvelope({ kind: MessageKind.text, from: 'alice', to: 'bob', id: randomMessageId(),
 *   ts: Date.now(), body: utf8('hi') }, me.identity.secretKey, bob.encryptionPublicKey)
 */
export function sealEnvelope(
  msg: MessageFields,
  senderIdentitySecretKey: Uint8Array,
  recipientEncryptionPublicKey: Uint8Array,
): Uint8Array {
  const inner = signInner(msg, senderIdentitySecretKey, recipientEncryptionPublicKey);
  try {
    return sealInner(inner, recipientEncryptionPublicKey);
  } finally {
    wipe(inner);
  }
}

/**
 * The first half of {@link sealEnvelope}: `inner = signed ‖ sig` (§4), not yet sealed.
 * @throws as {@link sealEnvelope}.
 * @example const env = sealInner(signInner(msg, me.identity.secretKey, bobEncPk), bobEncPk)
 */
export function signInner(
  msg: MessageFields,
  senderIdentitySecretKey: Uint8Array,
  recipientEncryptionPublicKey: Uint8Array,
): Uint8Array {
  exactBytes('sealEnvelope', 'senderIdentitySecretKey', senderIdentitySecretKey, SECRET_KEY_BYTES);
  exactBytes('sealEnvelope', 'recipientEncryptionPublicKey', recipientEncryptionPublicKey, PUBLIC_KEY_BYTES);
  const signed = encodeSigned('sealEnvelope', msg);
  const signature = sign(concat(LABEL, recipientEncryptionPublicKey, signed), senderIdentitySecretKey);
  return concat(signed, signature);
}

/**
 * The second half of {@link sealEnvelope}: `0x01 ‖ seal(inner, recipient_encryption_pk)`. Does not look inside
 * `inner`, so tests can seal anything.
 * @throws {RangeError} if the envelope would exceed MAX_ENVELOPE_BYTES or the key is not 32 bytes.
 * @throws {CryptoError} `LOW_ORDER_POINT` if the key has low order.
 * @example const env = sealInner(inner, carolEncPk)
 */
export function sealInner(inner: Uint8Array, recipientEncryptionPublicKey: Uint8Array): Uint8Array {
  bytesArg('sealInner', 'inner', inner);
  const max = MAX_ENVELOPE_BYTES - 1 - SEAL_OVERHEAD_BYTES;
  if (inner.length > max) {
    throw new RangeError(`sealInner: expected an inner of at most ${max} bytes, got ${inner.length}`);
  }
  return concat(Uint8Array.of(ENVELOPE_VERSION), seal(inner, recipientEncryptionPublicKey));
}

/**
 * Opens an envelope addressed to `recipient` and delivered under `expectedId`, making §4's checks 1–5 in order.
 * The signature is *not* yet checked: look up or load the sender's pinned identity key by `from`, then call
 * {@link verifyEnvelopeSignature} before trusting anything in the result.
 *
 * @throws {CryptoError} `ENVELOPE_MALFORMED` (step 1: over 65,536 bytes or version byte not 0x01; step 3: bad
 *   layout), `ENVELOPE_OPEN_FAILED` (step 2), `ENVELOPE_MISADDRESSED` (step 4: `to` is not `recipient.username`),
 *   `ENVELOPE_ID_MISMATCH` (step 5).
 * @throws {TypeError} / {RangeError} if the arguments themselves are wrong (not bytes, invalid own username, keys
 *   not 32 bytes, `expectedId` not 16 bytes).
 * `recipient.openBox`, if given, opens the sealed box (step 2) instead of {@link openSealed}: a
 * `sealedBoxOpener` of `recipient.encryption`, made once for many envelopes (a receive batch).
 * @example const opened = openEnvelope(frame.env, { username: 'bob', encryption: me.encryption }, frame.id)
 *   verifyEnvelopeSignature(opened, pinned(opened.from).identityPublicKey)
 */
export function openEnvelope(
  envelope: Uint8Array,
  recipient: { username: string; encryption: KeyPair; openBox?: (sealed: Uint8Array) => Uint8Array },
  expectedId: Uint8Array,
): OpenedEnvelope {
  bytesArg('openEnvelope', 'envelope', envelope);
  if (typeof recipient !== 'object' || recipient === null) throw new TypeError('openEnvelope: expected a recipient');
  usernameArg('openEnvelope', 'recipient.username', recipient.username);
  const { publicKey, secretKey } = recipient.encryption ?? {};
  exactBytes('openEnvelope', 'recipient.encryption.publicKey', publicKey, PUBLIC_KEY_BYTES);
  exactBytes('openEnvelope', 'recipient.encryption.secretKey', secretKey, SECRET_KEY_BYTES);
  exactBytes('openEnvelope', 'expectedId', expectedId, MESSAGE_ID_BYTES);
  // 1
  if (envelope.length > MAX_ENVELOPE_BYTES || envelope[0] !== ENVELOPE_VERSION) {
    throw new CryptoError(
      'ENVELOPE_MALFORMED',
      envelope.length > MAX_ENVELOPE_BYTES
        ? `envelope is ${envelope.length} bytes; the limit is ${MAX_ENVELOPE_BYTES}`
        : `unknown envelope version ${envelope[0] ?? '(empty envelope)'}`,
    );
  }
  // 2
  let inner: Uint8Array;
  try {
    const sealed = envelope.subarray(1);
    inner = recipient.openBox ? recipient.openBox(sealed) : openSealed(sealed, publicKey, secretKey);
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    throw new CryptoError('ENVELOPE_OPEN_FAILED', 'envelope does not open with this encryption key', { cause: e });
  }
  try {
    // 3
    const parsed = parseInner(inner);
    // 4
    if (parsed.to !== recipient.username) {
      throw new CryptoError(
        'ENVELOPE_MISADDRESSED',
        `envelope is addressed to ${parsed.to}, not ${recipient.username}`,
      );
    }
    // 5
    if (!constantTimeEqual(parsed.id, expectedId)) {
      throw new CryptoError('ENVELOPE_ID_MISMATCH', 'envelope id differs from the id it was delivered under');
    }
    const { kind, from, to, id, ts, body, signature } = parsed;
    return { kind, from, to, id, ts, body, signature, signedMessage: concat(LABEL, publicKey, parsed.signed) };
  } finally {
    wipe(inner);
  }
}

/**
 * §4 step 6: checks the signature of an opened envelope under the sender's pinned identity key, and that its fields
 * are still exactly the ones signed.
 *
 * @throws {CryptoError} `ENVELOPE_BAD_SIGNATURE` if the signature does not verify strictly, or the fields of
 *   `opened` no longer match `signedMessage`.
 * @throws {TypeError} / {RangeError} if `senderIdentityPublicKey` is not 32 bytes.
 * @example verifyEnvelopeSignature(opened, contact.identityPublicKey)
 */
export function verifyEnvelopeSignature(opened: OpenedEnvelope, senderIdentityPublicKey: Uint8Array): void {
  exactBytes('verifyEnvelopeSignature', 'senderIdentityPublicKey', senderIdentityPublicKey, PUBLIC_KEY_BYTES);
  if (typeof opened !== 'object' || opened === null) {
    throw new TypeError('verifyEnvelopeSignature: expected an OpenedEnvelope');
  }
  const { signature, signedMessage } = opened;
  bytesArg('verifyEnvelopeSignature', 'opened.signature', signature);
  bytesArg('verifyEnvelopeSignature', 'opened.signedMessage', signedMessage);
  let fieldsMatch = false;
  try {
    const signed = encodeSigned('verifyEnvelopeSignature', opened, MAX_ENVELOPE_BYTES);
    const prefix = LABEL.length + PUBLIC_KEY_BYTES;
    fieldsMatch =
      signedMessage.length === prefix + signed.length &&
      constantTimeEqual(signedMessage.subarray(0, LABEL.length), LABEL) &&
      constantTimeEqual(signedMessage.subarray(prefix), signed);
  } catch {
    fieldsMatch = false; // fields altered into something unencodable
  }
  if (!fieldsMatch || !verify(signature, signedMessage, senderIdentityPublicKey)) {
    throw new CryptoError('ENVELOPE_BAD_SIGNATURE', `the signature of ${opened.from}'s message does not verify`);
  }
}

/**
 * 16 random bytes from the operating system's CSPRNG, for a new message id (§4).
 * @example const id = randomMessageId()
 */
export function randomMessageId(): Uint8Array {
  return new Uint8Array(randomBytes(MESSAGE_ID_BYTES));
}
