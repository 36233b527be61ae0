/**
 * ML-KEM-768 (FIPS 203) from `@noble/post-quantum`, wrapped in this package's shapes: exact lengths, the project's
 * typed errors, and deterministic variants (seed, encapsulation randomness) for test vectors. Node's crypto has no
 * ML-KEM on Node 20 (OpenSSL 3.5 brings it later), hence the dependency.
 *
 * The library is loaded on demand ({@link loadMlkem}): importing it (with its SHA-3) costs 35–100 ms of a one-shot
 * command's start-up, and most commands never need it (a send in an existing session, a receive without a first
 * message, everything read-only). The functions below stay synchronous, as the session code that calls them runs
 * inside database transactions; whoever calls them awaits `loadMlkem()` first (a first contact, making or
 * replenishing prekeys, answering an initiation), ideally while it waits for the network or the KDF anyway.
 */
import { randomBytes } from 'node:crypto';
import { bytesArg, exactBytes, wipe } from './bytes.js';
import { CryptoError } from './errors.js';
import type { KeyPair } from './identity.js';
import {
  MLKEM_CIPHERTEXT_BYTES,
  MLKEM_PUBLIC_KEY_BYTES,
  MLKEM_SECRET_KEY_BYTES,
  MLKEM_SEED_BYTES,
  MLKEM_SHARED_SECRET_BYTES,
} from './v2-constants.js';

type MlKem768 = typeof import('@noble/post-quantum/ml-kem.js')['ml_kem768'];

let kem: MlKem768 | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the ML-KEM code; resolves at once once loaded. Safe to call any number of times, and to start early without
 * awaiting (a warm-up): a failed load is retried by the next call.
 *
 * @example await loadMlkem(); const pq = mlkemKeyPair()
 */
export function loadMlkem(): Promise<void> {
  loading ??= import('@noble/post-quantum/ml-kem.js').then(
    (m) => {
      kem = m.ml_kem768;
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** True once {@link loadMlkem} has finished: the synchronous functions below can run. */
export const mlkemLoaded = (): boolean => kem !== undefined;

/** The loaded library. @throws {Error} if {@link loadMlkem} has not finished: a bug in the caller, not bad data. */
function ml(fn: string): MlKem768 {
  if (kem === undefined) throw new Error(`${fn}: the ML-KEM code is not loaded; await loadMlkem() first`);
  return kem;
}

/**
 * An ML-KEM-768 key pair (FIPS 203 Algorithm 19, ML-KEM.KeyGen): from `seed` (`d ‖ z`, 64 bytes) when given, else
 * from the CSPRNG. `secretKey` is the 2,400-byte decapsulation key, `publicKey` the 1,184-byte encapsulation key.
 *
 * @throws {RangeError} if `seed` is not 64 bytes. @throws {Error} before {@link loadMlkem} has finished.
 * @example const pq = mlkemKeyPair(); publish(pq.publicKey)
 */
export function mlkemKeyPair(seed?: Uint8Array): KeyPair {
  const s = seed === undefined ? new Uint8Array(randomBytes(MLKEM_SEED_BYTES)) : seed;
  exactBytes('mlkemKeyPair', 'seed', s, MLKEM_SEED_BYTES);
  try {
    const { publicKey, secretKey } = ml('mlkemKeyPair').keygen(s);
    return { publicKey, secretKey };
  } finally {
    if (seed === undefined) wipe(s);
  }
}

/** The result of an encapsulation: the ciphertext to send and the 32-byte shared secret to keep. */
export interface Encapsulation {
  cipherText: Uint8Array;
  sharedSecret: Uint8Array;
}

/**
 * ML-KEM-768 encapsulation to `publicKey` (FIPS 203 Algorithm 20). `randomness` (`m`, 32 bytes) is for test vectors
 * only; by default it comes from the CSPRNG. The encapsulation key passes FIPS 203 §7.2's type and modulus checks.
 *
 * @throws {CryptoError} `KEM_INVALID` if `publicKey` is not 1,184 bytes or fails the modulus check.
 * @throws {RangeError} if `randomness` is given and is not 32 bytes. @throws {Error} before {@link loadMlkem}.
 * @example const { cipherText, sharedSecret } = mlkemEncapsulate(bundle.pqPrekey.publicKey)
 */
export function mlkemEncapsulate(publicKey: Uint8Array, randomness?: Uint8Array): Encapsulation {
  const k = ml('mlkemEncapsulate');
  bytesArg('mlkemEncapsulate', 'publicKey', publicKey);
  if (randomness !== undefined) exactBytes('mlkemEncapsulate', 'randomness', randomness, MLKEM_SHARED_SECRET_BYTES);
  if (publicKey.length !== MLKEM_PUBLIC_KEY_BYTES) {
    throw new CryptoError('KEM_INVALID', `ML-KEM-768 public key must be ${MLKEM_PUBLIC_KEY_BYTES} bytes`);
  }
  const m = randomness ?? new Uint8Array(randomBytes(MLKEM_SHARED_SECRET_BYTES));
  try {
    return k.encapsulate(publicKey, m);
  } catch (e) {
    throw new CryptoError('KEM_INVALID', 'ML-KEM-768 public key fails the FIPS 203 §7.2 checks', { cause: e });
  } finally {
    if (randomness === undefined) wipe(m);
  }
}

/**
 * ML-KEM-768 decapsulation (FIPS 203 Algorithm 21). A wrong but well-formed ciphertext yields a pseudorandom secret
 * (implicit rejection), which then fails authentication further on.
 *
 * @throws {CryptoError} `KEM_INVALID` if `cipherText` is not 1,088 bytes.
 * @throws {RangeError} if `secretKey` is not 2,400 bytes. @throws {Error} before {@link loadMlkem}.
 * @example const ss = mlkemDecapsulate(message.kemCipherText, pq.secretKey)
 */
export function mlkemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const k = ml('mlkemDecapsulate');
  bytesArg('mlkemDecapsulate', 'cipherText', cipherText);
  exactBytes('mlkemDecapsulate', 'secretKey', secretKey, MLKEM_SECRET_KEY_BYTES);
  if (cipherText.length !== MLKEM_CIPHERTEXT_BYTES) {
    throw new CryptoError('KEM_INVALID', `ML-KEM-768 ciphertext must be ${MLKEM_CIPHERTEXT_BYTES} bytes`);
  }
  try {
    return k.decapsulate(cipherText, secretKey);
  } catch (e) {
    // Only a decapsulation key that fails FIPS 203 §7.3's hash check gets here: our own stored key is corrupt.
    throw new CryptoError('KEM_INVALID', 'ML-KEM-768 decapsulation key fails the FIPS 203 §7.3 check', { cause: e });
  }
}
