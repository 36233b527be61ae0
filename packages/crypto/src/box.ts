/**
 * The parts of libsodium's `crypto_box_seal` that do not depend on how X25519 is computed (PROTOCOL.md §2):
 * the BLAKE2b-192 nonce, HSalsa20 key derivation and XSalsa20-Poly1305, all from tweetnacl / noble. Only the
 * independent implementation in reference.ts uses them; seal.ts calls libsodium's own `crypto_box_seal`.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import nacl from 'tweetnacl';
import { concat, wipe } from './bytes.js';
import { CryptoError } from './errors.js';

interface Lowlevel {
  crypto_core_hsalsa20(out: Uint8Array, input: Uint8Array, key: Uint8Array, constant: Uint8Array): number;
}
// tweetnacl exports `lowlevel` at run time but its typings omit it.
const lowlevel = (nacl as unknown as { lowlevel: Lowlevel }).lowlevel;
const SIGMA = new TextEncoder().encode('expand 32-byte k');
const ZERO_16 = new Uint8Array(16);

/** `n = BLAKE2b-192(epk ‖ pk)` (RFC 7693 with no key, 24-byte output). */
export function sealNonce(ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  return blake2b(concat(ephemeralPublicKey, recipientPublicKey), { dkLen: 24 });
}

/** `k = HSalsa20(shared, 0^16)`, NaCl's `crypto_box_beforenm` after the scalar multiplication. */
export function boxKey(shared: Uint8Array): Uint8Array {
  const k = new Uint8Array(32);
  lowlevel.crypto_core_hsalsa20(k, ZERO_16, shared, SIGMA);
  return k;
}

/**
 * `epk ‖ box(m, n, pk, esk)` given `shared = X25519(esk, pk)`, which is wiped with the derived key.
 */
export function sealWithShared(
  message: Uint8Array,
  ephemeralPublicKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  shared: Uint8Array,
): Uint8Array {
  const k = boxKey(shared);
  try {
    const boxed = nacl.secretbox(message, sealNonce(ephemeralPublicKey, recipientPublicKey), k); // tag ‖ ciphertext
    return concat(ephemeralPublicKey, boxed);
  } finally {
    wipe(k, shared);
  }
}

/**
 * Opens `sealed` (already checked to be ≥ 48 bytes) given `shared = X25519(sk, epk)`, which is wiped.
 * @throws {CryptoError} `OPEN_FAILED` if the Poly1305 tag does not verify.
 */
export function openWithShared(sealed: Uint8Array, recipientPublicKey: Uint8Array, shared: Uint8Array): Uint8Array {
  const k = boxKey(shared);
  try {
    const epk = sealed.subarray(0, 32);
    const opened = nacl.secretbox.open(sealed.subarray(32), sealNonce(epk, recipientPublicKey), k);
    if (opened === null) throw new CryptoError('OPEN_FAILED', 'openSealed: the sealed box does not verify');
    return new Uint8Array(opened);
  } finally {
    wipe(k, shared);
  }
}
