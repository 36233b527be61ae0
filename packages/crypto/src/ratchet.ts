/**
 * The Double Ratchet (Signal, "The Double Ratchet Algorithm", revision 4, §3) as PROTOCOL.md §20 specifies it.
 *
 * Functional: `ratchetEncrypt` and `ratchetDecrypt` never change the state they are given; they return a new one.
 * The caller stores the new state in the same transaction as the outbox row (send) or history row (receive), then
 * wipes the old one with {@link wipeRatchetState}. A message that fails leaves the given state as it was, as the
 * specification's "discard all changes" asks, and the half-updated copy is wiped. `ratchetDecryptInPlace` is the
 * same decryption for a caller that owns a working copy of the state (a receive batch's): it moves that copy on
 * instead of returning a new one, and leaves it as it was when the message fails.
 */
import { randomFillSync } from 'node:crypto';
import { isUint8Array } from 'node:util/types';
import { concat, constantTimeEqual, wipe } from './bytes.js';
import { SECRET_KEY_BYTES } from './constants.js';
import { CryptoError } from './errors.js';
import type { KeyPair } from './identity.js';
import { aeadOpen, aeadSeal } from './aead.js';
import { encodeHeader, headerNumber, type RatchetHeader, splitMessage } from './ratchet-header.js';
import { kdfCk, kdfRk, messageKeyMaterial } from './ratchet-kdf.js';
import { cloneRatchetState, type RatchetState, skippedId, wipeRatchetState } from './ratchet-state.js';
import {
  AEAD_TAG_BYTES,
  MAX_CHAIN_INDEX,
  MAX_RETIRED_CHAINS,
  MAX_SKIP,
  MAX_SKIPPED_TOTAL,
  RATCHET_HEADER_BYTES,
  RATCHET_KEY_BYTES,
} from './v2-constants.js';
import { x25519KeyPair, x25519Uncached } from './x25519.js';

/** Where fresh ratchet secret keys come from: the CSPRNG, or fixed keys in test vectors. */
export type RatchetRandom = () => Uint8Array;
// In an ArrayBuffer of its own, filled in place: no other copy of the secret (a pooled Buffer, V8's heap) is left.
const csprng: RatchetRandom = () => randomFillSync(new Uint8Array(new ArrayBuffer(SECRET_KEY_BYTES)));

/**
 * The initiator's state (rev. 4 §3.3 `RatchetInitAlice`): a fresh ratchet key pair, the responder's signed prekey as
 * its ratchet key, and a first sending chain from `KDF_RK(SK, DH(DHs, SPK_B))`.
 *
 * The state holds copies: the caller wipes `sharedSecret` once both this and its storage are done.
 *
 * @throws {CryptoError} `LOW_ORDER_POINT` if `responderRatchetKey` has low order.
 * @throws {RangeError} if `sharedSecret` or `responderRatchetKey` is not 32 bytes.
 * @example let state = ratchetInitInitiator(sk, ad, bundle.signedPrekey.publicKey)
 */
export function ratchetInitInitiator(
  sharedSecret: Uint8Array,
  associatedData: Uint8Array,
  responderRatchetKey: Uint8Array,
  random: RatchetRandom = csprng,
): RatchetState {
  checkKey('ratchetInitInitiator', 'sharedSecret', sharedSecret);
  const sending = freshPair(random);
  const dh = x25519Uncached(sending.secretKey, responderRatchetKey);
  const { rootKey, chainKey } = kdfRk(sharedSecret, dh);
  wipe(dh);
  return {
    ...emptyCounters(),
    rootKey,
    sending,
    receivingKey: new Uint8Array(responderRatchetKey),
    sendingChainKey: chainKey,
    receivingChainKey: null,
    associatedData: new Uint8Array(associatedData),
  };
}

/**
 * The responder's state (rev. 4 §3.3 `RatchetInitBob`): its signed prekey pair as the ratchet key pair, `SK` as
 * the root key, no chains until the first message arrives. The state holds copies: the caller wipes `sharedSecret`
 * and, once no other initiator may use it, erases the signed prekey as §18.1 says.
 *
 * @throws {RangeError} if `sharedSecret` or a key is not 32 bytes.
 * @example let state = ratchetInitResponder(sk, ad, signedPrekeyPair)
 */
export function ratchetInitResponder(
  sharedSecret: Uint8Array,
  associatedData: Uint8Array,
  signedPrekey: KeyPair,
): RatchetState {
  checkKey('ratchetInitResponder', 'sharedSecret', sharedSecret);
  checkKey('ratchetInitResponder', 'signedPrekey.secretKey', signedPrekey.secretKey);
  return {
    ...emptyCounters(),
    rootKey: new Uint8Array(sharedSecret),
    sending: { secretKey: new Uint8Array(signedPrekey.secretKey), publicKey: new Uint8Array(signedPrekey.publicKey) },
    receivingKey: null,
    sendingChainKey: null,
    receivingChainKey: null,
    associatedData: new Uint8Array(associatedData),
  };
}

/**
 * Encrypts `plaintext` (rev. 4 §3.4 `RatchetEncrypt`) into `header (40) ‖ ciphertext ‖ tag (16)`. The message key
 * is wiped; the returned state has the next chain key.
 *
 * @throws {CryptoError} `RATCHET_CHAIN_EXHAUSTED` after 2^32 − 1 messages in one chain.
 * @throws {RangeError} if the state has no sending chain (a responder that has received nothing yet).
 * @example const { state: next, message } = ratchetEncrypt(state, padded)
 */
export function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
): { state: RatchetState; message: Uint8Array } {
  if (state.sendingChainKey === null) {
    throw new RangeError('ratchetEncrypt: no sending chain yet (a responder sends after its first message arrives)');
  }
  if (state.sendCount > MAX_CHAIN_INDEX) throw new CryptoError('RATCHET_CHAIN_EXHAUSTED', 'sending chain is used up');
  const next = cloneRatchetState(state);
  const { chainKey, messageKey } = kdfCk(state.sendingChainKey);
  wipe(next.sendingChainKey as Uint8Array);
  next.sendingChainKey = chainKey;
  const headerBytes = encodeHeader({ dh: next.sending.publicKey, pn: next.previousSendCount, n: next.sendCount });
  next.sendCount++;
  const sealed = sealWith(messageKey, plaintext, next.associatedData, headerBytes);
  return { state: next, message: concat(headerBytes, sealed) };
}

/**
 * Decrypts a ratchet message (rev. 4 §3.5 `RatchetDecrypt`): from a stored skipped key, from the current receiving
 * chain after skipping at most {@link MAX_SKIP} keys, or after a DH ratchet step. `random` gives the new ratchet
 * key pair of a DH step (default: the CSPRNG). Used message keys are wiped and leave the state.
 *
 * @throws {CryptoError} `RATCHET_HEADER_INVALID` on a malformed message; `RATCHET_DUPLICATE` if its key was already
 *   used (or erased as too old); `RATCHET_TOO_MANY_SKIPPED` if it would skip more than 1,000 keys in one chain;
 *   `RATCHET_DECRYPT_FAILED` if it does not authenticate. The given state is unchanged in every case.
 * @example const { state: next, plaintext } = ratchetDecrypt(state, message)
 */
export function ratchetDecrypt(
  state: RatchetState,
  message: Uint8Array,
  random: RatchetRandom = csprng,
): { state: RatchetState; plaintext: Uint8Array } {
  const { header, headerBytes, sealed } = splitMessage(message);
  const next = cloneRatchetState(state);
  try {
    // Most messages arrive in order, with no skipped key stored: no key id to make then.
    if (next.skipped.size > 0) {
      const id = skippedId(header.dh, header.n);
      const stored = next.skipped.get(id);
      if (stored !== undefined) {
        next.skipped.delete(id);
        return { state: next, plaintext: openWith(stored.messageKey, sealed, next.associatedData, headerBytes) };
      }
    }
    // The initiator holds SPK_B as DHr before it has a receiving chain: a message under it is a new ratchet key.
    const current =
      next.receivingChainKey !== null && next.receivingKey !== null && constantTimeEqual(header.dh, next.receivingKey);
    if (current && header.n < next.receiveCount) duplicate(header);
    if (!current) {
      if (next.retired.some((k) => constantTimeEqual(k, header.dh))) duplicate(header);
      skipMessageKeys(next, header.pn);
      dhRatchet(next, header, random);
    }
    skipMessageKeys(next, header.n);
    const { chainKey, messageKey } = kdfCk(next.receivingChainKey as Uint8Array);
    wipe(next.receivingChainKey as Uint8Array);
    next.receivingChainKey = chainKey;
    next.receiveCount++;
    return { state: next, plaintext: openWith(messageKey, sealed, next.associatedData, headerBytes) };
  } catch (e) {
    wipeRatchetState(next);
    throw e;
  }
}

/**
 * {@link ratchetDecrypt} that moves `state` itself on, for a caller that owns it and would replace it with the result
 * anyway (a receive batch's working copy of a session): on success `state` is the new state and the plaintext is
 * returned; on any failure `state` is exactly as it was. `state` must not share byte arrays with another state.
 *
 * The next message of the current receiving chain (its header's ratchet key is DHr and its `n` is Nr: most messages)
 * takes no copy of the state: one KDF_CK step, and once the message authenticates the old chain key is wiped and
 * replaced. Its ratchet key was accepted when it became DHr. A skipped key stored under the same (DHr, Nr) comes first
 * in §20.6 step 1; one can exist only if the peer used a ratchet key pair again after it left RETIRED (review rev13),
 * so then the message goes the long way too. Any other message goes through ratchetDecrypt; its result then replaces
 * the secrets of `state`, which are wiped.
 *
 * @throws {CryptoError} as ratchetDecrypt.
 * @example const plaintext = ratchetDecryptInPlace(work.state, message)
 */
export function ratchetDecryptInPlace(
  state: RatchetState,
  message: Uint8Array,
  random: RatchetRandom = csprng,
): Uint8Array {
  const chain = state.receivingChainKey;
  const dhr = state.receivingKey;
  if (
    chain !== null &&
    dhr !== null &&
    isUint8Array(message) &&
    message.length >= RATCHET_HEADER_BYTES + AEAD_TAG_BYTES &&
    state.receiveCount <= MAX_CHAIN_INDEX &&
    headerNumber(message) === state.receiveCount &&
    constantTimeEqual(message.subarray(0, RATCHET_KEY_BYTES), dhr) &&
    (state.skipped.size === 0 || !state.skipped.has(skippedId(dhr, state.receiveCount)))
  ) {
    const { chainKey, messageKey } = kdfCk(chain);
    let plaintext: Uint8Array;
    try {
      const header = message.subarray(0, RATCHET_HEADER_BYTES);
      plaintext = openWith(messageKey, message.subarray(RATCHET_HEADER_BYTES), state.associatedData, header);
    } catch (e) {
      wipe(chainKey);
      throw e;
    }
    wipe(chain);
    state.receivingChainKey = chainKey;
    state.receiveCount++;
    return plaintext;
  }
  const { state: next, plaintext } = ratchetDecrypt(state, message, random);
  wipeRatchetState(state);
  Object.assign(state, next);
  return plaintext;
}

/** `RATCHET_DUPLICATE`: the message's key was used before, or erased as the oldest skipped key. */
function duplicate(header: RatchetHeader): never {
  throw new CryptoError('RATCHET_DUPLICATE', `message ${header.n} was already decrypted or its key has expired`);
}

/** rev. 4 §3.5 `SkipMessageKeys`: store the keys of the receiving chain up to (excluding) `until`. */
function skipMessageKeys(s: RatchetState, until: number): void {
  if (s.receivingChainKey === null || s.receivingKey === null) return;
  if (until - s.receiveCount > MAX_SKIP) {
    throw new CryptoError('RATCHET_TOO_MANY_SKIPPED', `message ${until} would skip more than ${MAX_SKIP} keys`);
  }
  while (s.receiveCount < until) {
    const { chainKey, messageKey } = kdfCk(s.receivingChainKey);
    wipe(s.receivingChainKey);
    s.receivingChainKey = chainKey;
    const dh = new Uint8Array(s.receivingKey);
    const id = skippedId(dh, s.receiveCount);
    // A key stored under the same id (a ratchet key pair the peer used again after it left RETIRED) is erased.
    const replaced = s.skipped.get(id);
    if (replaced !== undefined) {
      wipe(replaced.messageKey);
      s.skipped.delete(id);
    }
    s.skipped.set(id, { dh, n: s.receiveCount, messageKey });
    s.receiveCount++;
    // The total bound erases the oldest keys first (Map keeps insertion order): a very late message is lost, the
    // session goes on.
    while (s.skipped.size > MAX_SKIPPED_TOTAL) {
      const [oldest, entry] = s.skipped.entries().next().value as [string, { messageKey: Uint8Array }];
      wipe(entry.messageKey);
      s.skipped.delete(oldest);
    }
  }
}

/** rev. 4 §3.5 `DHRatchet`: a receiving chain for the peer's new key, then a fresh key pair and sending chain. */
function dhRatchet(s: RatchetState, header: RatchetHeader, random: RatchetRandom): void {
  if (s.receivingKey !== null) {
    s.retired.push(s.receivingKey);
    while (s.retired.length > MAX_RETIRED_CHAINS) s.retired.shift();
  }
  s.previousSendCount = s.sendCount;
  s.sendCount = 0;
  s.receiveCount = 0;
  s.receivingKey = new Uint8Array(header.dh);
  const dh1 = x25519Uncached(s.sending.secretKey, s.receivingKey);
  const receiving = kdfRk(s.rootKey, dh1);
  wipe(dh1, s.rootKey, s.sending.secretKey, ...(s.receivingChainKey ? [s.receivingChainKey] : []));
  s.receivingChainKey = receiving.chainKey;
  s.sending = freshPair(random);
  const dh2 = x25519Uncached(s.sending.secretKey, s.receivingKey);
  const sending = kdfRk(receiving.rootKey, dh2);
  wipe(dh2, receiving.rootKey, ...(s.sendingChainKey ? [s.sendingChainKey] : []));
  s.rootKey = sending.rootKey;
  s.sendingChainKey = sending.chainKey;
}

function sealWith(messageKey: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, header: Uint8Array): Uint8Array {
  const { key, nonce } = messageKeyMaterial(messageKey);
  try {
    return aeadSeal(plaintext, key, nonce, concat(ad, header));
  } finally {
    wipe(messageKey, key, nonce);
  }
}

function openWith(messageKey: Uint8Array, sealed: Uint8Array, ad: Uint8Array, header: Uint8Array): Uint8Array {
  const { key, nonce } = messageKeyMaterial(messageKey);
  try {
    return aeadOpen(sealed, key, nonce, concat(ad, header));
  } finally {
    wipe(messageKey, key, nonce);
  }
}

function freshPair(random: RatchetRandom): KeyPair {
  const secret = random();
  try {
    return x25519KeyPair(secret);
  } finally {
    wipe(secret);
  }
}

function emptyCounters() {
  return { sendCount: 0, receiveCount: 0, previousSendCount: 0, skipped: new Map(), retired: [] };
}

function checkKey(fn: string, name: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== RATCHET_KEY_BYTES) {
    throw new RangeError(`${fn}: expected ${name} to be ${RATCHET_KEY_BYTES} bytes`);
  }
}
