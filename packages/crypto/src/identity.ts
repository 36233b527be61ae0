/** Long-term keys (PROTOCOL.md §1) and fingerprints (§3.3). */
import { createHash, randomBytes } from 'node:crypto';
import { copy, exactBytes, wipe } from './bytes.js';
import { FINGERPRINT_LABEL, PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './constants.js';
import { rawPublicKey, secretKeyObject } from './keys.js';

/** A secret key and its public key. For Ed25519 the secret key is the 32-byte seed (RFC 8032 §5.1.5). */
export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A user's two long-term keypairs: Ed25519 `identity` signs, X25519 `encryption` receives sealed boxes. */
export interface Identity {
  identity: KeyPair;
  encryption: KeyPair;
}

/**
 * A fresh identity from the operating system's CSPRNG.
 *
 * @example const me = generateIdentity(); save(me.identity.secretKey, me.encryption.secretKey)
 */
export function generateIdentity(): Identity {
  const identitySeed = new Uint8Array(randomBytes(SECRET_KEY_BYTES));
  const encryptionSecretKey = new Uint8Array(randomBytes(SECRET_KEY_BYTES));
  try {
    return identityFromSecrets(identitySeed, encryptionSecretKey);
  } finally {
    wipe(identitySeed, encryptionSecretKey);
  }
}

/**
 * The identity whose secret keys are the given 32 bytes each (deterministic: public keys are derived, RFC 8032
 * §5.1.5 and RFC 7748 §6.1). The result holds copies, so the caller may wipe its arrays.
 *
 * @throws {TypeError} if an argument is not a Uint8Array.
 * @throws {RangeError} if a secret is not 32 bytes.
 * @example const me = identityFromSecrets(fromBase64(file.identity), fromBase64(file.encryption))
 */
export function identityFromSecrets(identitySeed: Uint8Array, encryptionSecretKey: Uint8Array): Identity {
  exactBytes('identityFromSecrets', 'identitySeed', identitySeed, SECRET_KEY_BYTES);
  exactBytes('identityFromSecrets', 'encryptionSecretKey', encryptionSecretKey, SECRET_KEY_BYTES);
  return {
    identity: {
      secretKey: copy(identitySeed),
      publicKey: rawPublicKey(secretKeyObject('ed25519', identitySeed)),
    },
    encryption: {
      secretKey: copy(encryptionSecretKey),
      publicKey: rawPublicKey(secretKeyObject('x25519', encryptionSecretKey)),
    },
  };
}

/**
 * The fingerprint of an identity public key (PROTOCOL.md §3.3): the first 16 bytes of
 * `SHA-256("chat/v1/fingerprint\0" ‖ identity_pk)` as upper-case hex in 8 groups of 4, separated by single spaces.
 *
 * @throws {TypeError} if `identityPublicKey` is not a Uint8Array.
 * @throws {RangeError} if it is not 32 bytes.
 * @example fingerprint(me.identity.publicKey) // '3F2A 91BC 0D4E 7A11 C0DE 5EED 9B3A 44F0'
 */
export function fingerprint(identityPublicKey: Uint8Array): string {
  exactBytes('fingerprint', 'identityPublicKey', identityPublicKey, PUBLIC_KEY_BYTES);
  const digest = createHash('sha256').update(FINGERPRINT_LABEL, 'latin1').update(identityPublicKey).digest();
  const hex = digest.subarray(0, 16).toString('hex').toUpperCase();
  return hex.match(/.{4}/g)?.join(' ') ?? '';
}
