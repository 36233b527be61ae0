/**
 * Signed prekeys of protocol v2 (PROTOCOL.md §18): X25519 signed and one-time prekeys, ML-KEM-768 last-resort and
 * one-time keys. Every prekey is signed by the owner's Ed25519 identity key over a domain-separated message that
 * names its type, owner and id, so a relay can neither swap a key between users, ids or types, nor pass a one-time
 * key off as a last-resort one.
 */
import { isUint8Array } from 'node:util/types';
import { checkEncryptionPublicKey, usernameArg } from './bundle.js';
import { concat, exactBytes, utf8 } from './bytes.js';
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES, SIGNATURE_BYTES } from './constants.js';
import { sign, verify } from './ed25519.js';
import { CryptoError } from './errors.js';
import { MLKEM_PUBLIC_KEY_BYTES, PREKEY_LABEL, PrekeyType } from './v2-constants.js';

/** A public prekey as published, with its signature (§18.1). */
export interface SignedPrekey {
  type: PrekeyType;
  /** u32 chosen by the owner, unique per type among its live keys. */
  keyId: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

const LABEL = utf8(PREKEY_LABEL);
const TYPES: readonly number[] = Object.values(PrekeyType);

/** Public key bytes of each prekey type: 32 for X25519, 1,184 for ML-KEM-768. */
export function prekeyLength(type: PrekeyType): number {
  return type === PrekeyType.x25519Signed || type === PrekeyType.x25519OneTime
    ? PUBLIC_KEY_BYTES
    : MLKEM_PUBLIC_KEY_BYTES;
}

/**
 * What a prekey signature covers (§18.2):
 * `"chat/v2/prekey\0" ‖ type (1) ‖ len8(username) ‖ username ‖ u32be(key_id) ‖ public_key`.
 *
 * @throws {RangeError} on an unknown type, an invalid username, a key id outside u32, or a key of the wrong length.
 * @example const msg = prekeyMessage(PrekeyType.x25519Signed, 'bob', 7, spk.publicKey)
 */
export function prekeyMessage(type: PrekeyType, username: string, keyId: number, publicKey: Uint8Array): Uint8Array {
  if (!TYPES.includes(type)) throw new RangeError(`prekeyMessage: expected a PrekeyType, got ${String(type)}`);
  usernameArg('prekeyMessage', 'username', username);
  if (!isKeyId(keyId)) throw new RangeError(`prekeyMessage: expected keyId to be a u32, got ${String(keyId)}`);
  exactBytes('prekeyMessage', 'publicKey', publicKey, prekeyLength(type));
  const name = utf8(username);
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, keyId);
  return concat(LABEL, Uint8Array.of(type), Uint8Array.of(name.length), name, id, publicKey);
}

/**
 * Signs a prekey of `username` with the Ed25519 identity seed `identitySecretKey`.
 *
 * @throws {RangeError} as {@link prekeyMessage}, or if the secret key is not 32 bytes.
 * @example const spk = signPrekey(PrekeyType.x25519Signed, 'bob', 1, pair.publicKey, me.identity.secretKey)
 */
export function signPrekey(
  type: PrekeyType,
  username: string,
  keyId: number,
  publicKey: Uint8Array,
  identitySecretKey: Uint8Array,
): SignedPrekey {
  exactBytes('signPrekey', 'identitySecretKey', identitySecretKey, SECRET_KEY_BYTES);
  const signature = sign(prekeyMessage(type, username, keyId, publicKey), identitySecretKey);
  return { type, keyId, publicKey: new Uint8Array(publicKey), signature };
}

/**
 * Checks a prekey received from elsewhere (§18.3): one of the `allowed` types, a u32 id, a key of the type's length
 * (an X25519 key also canonical and not of low order), and a signature that verifies under `identityPublicKey` for
 * `username`.
 *
 * @throws {CryptoError} `PREKEY_INVALID` on a malformed prekey or a type not allowed here, `PREKEY_BAD_SIGNATURE`
 *   if the signature does not verify.
 * @example verifyPrekey(bundle.signedPrekey, 'bob', pinned.identityPublicKey, [PrekeyType.x25519Signed])
 */
export function verifyPrekey(
  prekey: SignedPrekey,
  username: string,
  identityPublicKey: Uint8Array,
  allowed: readonly PrekeyType[],
): void {
  if (typeof prekey !== 'object' || prekey === null) invalid('not an object');
  const { type, keyId, publicKey, signature } = prekey;
  if (!allowed.includes(type)) invalid(`type ${String(type)} where ${allowed.join(' or ')} is expected`);
  if (!isKeyId(keyId)) invalid('key id is not a u32');
  if (!isUint8Array(publicKey) || publicKey.length !== prekeyLength(type)) invalid('public key has the wrong length');
  if (!isUint8Array(signature) || signature.length !== SIGNATURE_BYTES) invalid('signature is not 64 bytes');
  if (type === PrekeyType.x25519Signed || type === PrekeyType.x25519OneTime) {
    try {
      checkEncryptionPublicKey(publicKey);
    } catch (e) {
      invalid((e as Error).message, e);
    }
  }
  if (!verify(signature, prekeyMessage(type, username, keyId, publicKey), identityPublicKey)) {
    throw new CryptoError('PREKEY_BAD_SIGNATURE', `prekey ${type}/${keyId} of ${username}: signature does not verify`);
  }
}

/** True if `n` is an integer in 0..2^32 − 1. */
export function isKeyId(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
}

function invalid(why: string, cause?: unknown): never {
  throw new CryptoError('PREKEY_INVALID', `invalid prekey: ${why}`, cause === undefined ? undefined : { cause });
}
