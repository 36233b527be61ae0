/**
 * The same primitives on tweetnacl alone: slower (Ed25519 verify ~100×), kept as an independent implementation
 * that the tests hold the product's path (node:crypto and libsodium) to, byte for byte. Same arguments,
 * strictness and errors.
 */
import nacl from 'tweetnacl';
import { bytesArg, exactBytes, isAllZero, wipe } from './bytes.js';
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './constants.js';
import { openWithShared, sealWithShared } from './box.js';
import { CryptoError } from './errors.js';
import { checkSealedLength } from './seal.js';
import { passesEd25519Prechecks } from './strict.js';

function refSign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  bytesArg('reference.sign', 'message', message);
  exactBytes('reference.sign', 'secretKey (the Ed25519 seed)', secretKey, SECRET_KEY_BYTES);
  const expanded = nacl.sign.keyPair.fromSeed(secretKey).secretKey; // seed ‖ public key
  try {
    return nacl.sign.detached(message, expanded);
  } finally {
    wipe(expanded);
  }
}

function refVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  bytesArg('reference.verify', 'signature', signature);
  bytesArg('reference.verify', 'message', message);
  exactBytes('reference.verify', 'publicKey', publicKey, PUBLIC_KEY_BYTES);
  // tweetnacl checks neither S < ℓ nor canonical encodings: the shared prechecks make it as strict as node's path.
  return passesEd25519Prechecks(signature, publicKey) && nacl.sign.detached.verify(message, signature, publicKey);
}

function refX25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  exactBytes('reference.x25519', 'secretKey', secretKey, SECRET_KEY_BYTES);
  exactBytes('reference.x25519', 'publicKey', publicKey, PUBLIC_KEY_BYTES);
  const shared = nacl.scalarMult(secretKey, publicKey);
  if (isAllZero(shared)) {
    throw new CryptoError('LOW_ORDER_POINT', 'x25519: the public key has low order (all-zero shared secret)');
  }
  return shared;
}

function refSeal(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  bytesArg('reference.seal', 'message', message);
  exactBytes('reference.seal', 'recipientPublicKey', recipientPublicKey, PUBLIC_KEY_BYTES);
  const esk = nacl.randomBytes(32);
  try {
    const epk = nacl.scalarMult.base(esk);
    return sealWithShared(message, epk, recipientPublicKey, refX25519(esk, recipientPublicKey));
  } finally {
    wipe(esk);
  }
}

function refOpenSealed(sealed: Uint8Array, recipientPublicKey: Uint8Array, recipientSecretKey: Uint8Array): Uint8Array {
  bytesArg('reference.openSealed', 'sealed', sealed);
  exactBytes('reference.openSealed', 'recipientPublicKey', recipientPublicKey, PUBLIC_KEY_BYTES);
  exactBytes('reference.openSealed', 'recipientSecretKey', recipientSecretKey, SECRET_KEY_BYTES);
  checkSealedLength(sealed);
  const shared = refX25519(recipientSecretKey, sealed.subarray(0, 32));
  return openWithShared(sealed, recipientPublicKey, shared);
}

/**
 * tweetnacl-only implementations of {@link sign}, {@link verify}, {@link x25519}, {@link seal} and
 * {@link openSealed}, with identical semantics, strictness and errors. For tests and cross-checks, not hot paths.
 *
 * @example expect(reference.sign(m, seed)).toEqual(sign(m, seed))
 */
export const reference: {
  readonly sign: (message: Uint8Array, secretKey: Uint8Array) => Uint8Array;
  readonly verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
  readonly x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => Uint8Array;
  readonly seal: (message: Uint8Array, recipientPublicKey: Uint8Array) => Uint8Array;
  readonly openSealed: (
    sealed: Uint8Array,
    recipientPublicKey: Uint8Array,
    recipientSecretKey: Uint8Array,
  ) => Uint8Array;
} = Object.freeze({
  sign: refSign,
  verify: refVerify,
  x25519: refX25519,
  seal: refSeal,
  openSealed: refOpenSealed,
});
