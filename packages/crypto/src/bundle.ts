/** Usernames (PROTOCOL.md §3.1) and key bundles (§3.2). */
import { isUint8Array } from 'node:util/types';
import { bytesArg, concat, copy, exactBytes, isAllZero } from './bytes.js';
import { BUNDLE_LABEL, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './constants.js';
import { sign, verify } from './ed25519.js';
import { CryptoError } from './errors.js';
import type { Identity } from './identity.js';
import { canonicalX25519, lowOrderX25519 } from './strict.js';

/**
 * Valid usernames (§3.1): 3 to 32 bytes of lower-case ASCII letters, digits, `_` and `-`, starting with a letter.
 * Without the `g` or `y` flag, so `test` keeps no state.
 */
export const USERNAME_PATTERN: RegExp = /^[a-z][a-z0-9_-]{2,31}$/;

const LABEL = new TextEncoder().encode(BUNDLE_LABEL);
/** With the `u` flag, a surrogate matches only when it is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * True if `name` is a string matching {@link USERNAME_PATTERN} (§3.1). Clients lower-case input first.
 * @example isValidUsername('alice') // true; isValidUsername('Alice') // false
 */
export function isValidUsername(name: string): boolean {
  return typeof name === 'string' && USERNAME_PATTERN.test(name);
}

/** A user's signed key triple (§3.2). */
export interface KeyBundle {
  username: string;
  identityPublicKey: Uint8Array;
  encryptionPublicKey: Uint8Array;
  signature: Uint8Array;
}

/**
 * `"chat/v1/bundle\0" ‖ len8(username) ‖ username ‖ identity_pk (32) ‖ encryption_pk (32)` (§3.2): what
 * `signature` covers. Like the protocol's `authMessage` it encodes any username that fits `len8` (1 to 255 UTF-8
 * bytes), so tools and tests can build bundles a relay must refuse; {@link verifyBundle} enforces §3.1.
 *
 * @throws {RangeError} if `username` is not 1..255 UTF-8 bytes or a key is not 32 bytes.
 * @throws {TypeError} on arguments of the wrong type, or a username with a lone surrogate (no exact UTF-8 form).
 * @example const msg = bundleMessage('alice', me.identity.publicKey, me.encryption.publicKey)
 */
export function bundleMessage(
  username: string,
  identityPublicKey: Uint8Array,
  encryptionPublicKey: Uint8Array,
): Uint8Array {
  if (typeof username !== 'string' || LONE_SURROGATE.test(username)) {
    throw new TypeError('bundleMessage: expected username to be a well-formed string');
  }
  exactBytes('bundleMessage', 'identityPublicKey', identityPublicKey, PUBLIC_KEY_BYTES);
  exactBytes('bundleMessage', 'encryptionPublicKey', encryptionPublicKey, PUBLIC_KEY_BYTES);
  const name = new TextEncoder().encode(username);
  if (name.length < 1 || name.length > 255) {
    throw new RangeError(`bundleMessage: expected username to be 1..255 UTF-8 bytes (len8), got ${name.length}`);
  }
  return concat(LABEL, Uint8Array.of(name.length), name, identityPublicKey, encryptionPublicKey);
}

/**
 * The key bundle of `identity` under `username` (§3.2), signed with its identity key. The username is encoded
 * as given (see {@link bundleMessage}): check it with {@link isValidUsername} first, as a relay refuses invalid ones.
 *
 * @throws {RangeError} if `username` is not 1..255 UTF-8 bytes or the identity's keys are not 32 bytes.
 * @throws {TypeError} on arguments of the wrong type.
 * @example const bundle = signBundle('alice', me)
 */
export function signBundle(username: string, identity: Identity): KeyBundle {
  if (typeof identity !== 'object' || identity === null) throw new TypeError('signBundle: expected an Identity');
  const message = bundleMessage(username, identity.identity.publicKey, identity.encryption.publicKey);
  return {
    username,
    identityPublicKey: copy(identity.identity.publicKey),
    encryptionPublicKey: copy(identity.encryption.publicKey),
    signature: sign(message, identity.identity.secretKey),
  };
}

/**
 * Checks a key bundle received from elsewhere (§3.2): valid username; keys of 32 bytes; an encryption key that is
 * canonical (§2), not all zero and not of low order (a seal to it would fail, RFC 7748 §6.1); a 64-byte signature
 * that verifies strictly under the identity key (which must itself be canonical and not of small order).
 *
 * @throws {CryptoError} `BUNDLE_INVALID` on any failure (the message says which; `cause` may say more).
 * @example verifyBundle(lookedUp); pin(lookedUp.username, lookedUp.identityPublicKey, lookedUp.encryptionPublicKey)
 */
export function verifyBundle(bundle: KeyBundle): void {
  if (typeof bundle !== 'object' || bundle === null) invalid('not an object');
  const { username, identityPublicKey, encryptionPublicKey, signature } = bundle;
  if (!isValidUsername(username)) invalid('invalid username');
  if (!isUint8Array(identityPublicKey) || identityPublicKey.length !== PUBLIC_KEY_BYTES) {
    invalid(`identity key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  if (!isUint8Array(encryptionPublicKey) || encryptionPublicKey.length !== PUBLIC_KEY_BYTES) {
    invalid(`encryption key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  if (!isUint8Array(signature) || signature.length !== SIGNATURE_BYTES) {
    invalid(`signature must be ${SIGNATURE_BYTES} bytes`);
  }
  try {
    checkEncryptionPublicKey(encryptionPublicKey);
  } catch (e) {
    invalid((e as Error).message, e);
  }
  if (!verify(signature, bundleMessage(username, identityPublicKey, encryptionPublicKey), identityPublicKey)) {
    invalid('signature does not verify');
  }
}

/**
 * Checks an X25519 public key received from elsewhere, as bundles require (§2, §3.2).
 *
 * @throws {CryptoError} `BAD_LENGTH` if not 32 bytes, `NON_CANONICAL_KEY` if not canonical, `LOW_ORDER_POINT` if
 *   all zero or of low order.
 * @throws {TypeError} if `publicKey` is not a Uint8Array.
 * @example checkEncryptionPublicKey(pinned.encryptionPublicKey)
 */
export function checkEncryptionPublicKey(publicKey: Uint8Array): void {
  bytesArg('checkEncryptionPublicKey', 'publicKey', publicKey);
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new CryptoError('BAD_LENGTH', `encryption key must be ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`);
  }
  if (!canonicalX25519(publicKey)) throw new CryptoError('NON_CANONICAL_KEY', 'encryption key is not canonical');
  if (isAllZero(publicKey) || lowOrderX25519(publicKey)) {
    throw new CryptoError('LOW_ORDER_POINT', 'encryption key is all zero or of low order');
  }
}

/** @internal Throws RangeError unless `name` is a valid username. */
export function usernameArg(fn: string, what: string, name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`${fn}: expected ${what} to be a string, got ${typeof name}`);
  if (!USERNAME_PATTERN.test(name)) {
    const shown = name.length > 40 ? `${JSON.stringify(name.slice(0, 40))}…` : JSON.stringify(name);
    throw new RangeError(`${fn}: expected ${what} to match ${String(USERNAME_PATTERN)}, got ${shown}`);
  }
  return name;
}

function invalid(why: string, cause?: unknown): never {
  throw new CryptoError('BUNDLE_INVALID', `invalid key bundle: ${why}`, cause === undefined ? undefined : { cause });
}
