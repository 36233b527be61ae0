/**
 * Group sender keys (PROTOCOL.md §25): per member per epoch one symmetric chain (KDF_CK of the ratchet, §20.2) and an
 * Ed25519 key made for the epoch. A sender encrypts a group message once; every member holding the chain (handed over
 * in a sender key distribution inside the deniable 1:1 session, §25.3) decrypts the same bytes. The signature stops a
 * member, who knows the chain key too, from writing as the sender; it is by an epoch key, never the long-term one.
 */
import { randomBytes } from 'node:crypto';
import { aeadOpen, aeadSeal } from './aead.js';
import { concat, copy, exactBytes, utf8, wipe } from './bytes.js';
import { sign, verify } from './ed25519.js';
import { CryptoError } from './errors.js';
import { hkdfSha256 } from './kdf.js';
import { rawPublicKey, secretKeyObject } from './keys.js';
import { kdfCk } from './ratchet-kdf.js';
import {
  encodeGroupHeader,
  type GroupMessage,
  type ReceivingSenderKey,
  type SenderKeyDistribution,
} from './sender-key-codec.js';
import {
  AEAD_NONCE_BYTES,
  GROUP_EPOCH_ID_BYTES,
  GROUP_MAX_SKIP,
  GROUP_MAX_SKIPPED_KEYS,
  GROUP_MESSAGE_INFO,
  GROUP_SIGNATURE_LABEL,
  MAX_CHAIN_INDEX,
  RATCHET_KEY_BYTES,
} from './v2-constants.js';

/** Our own sending chain in one group for one epoch (§25.1). */
export interface SenderKey {
  epoch: Uint8Array;
  /** The iteration of the next message; `chainKey` is the chain key for it. */
  iteration: number;
  chainKey: Uint8Array;
  /** The epoch's Ed25519 seed (RFC 8032 §5.1.5) and public key. */
  signingSecretKey: Uint8Array;
  signingPublicKey: Uint8Array;
}

/** The randomness of a new epoch; tests pass fixed bytes, everyone else lets `newSenderKey` draw them. */
export interface SenderKeyRandom {
  epoch: Uint8Array;
  chainKey: Uint8Array;
  signingSeed: Uint8Array;
}

const ZERO_SALT = new Uint8Array(32);
const LABEL = utf8(GROUP_SIGNATURE_LABEL);

/**
 * A new epoch's sending chain at iteration 0: a random 16-byte epoch id, a random chain key and a fresh Ed25519 key.
 * @throws {RangeError} if given randomness of the wrong length.
 * @example const key = newSenderKey()
 */
export function newSenderKey(random?: SenderKeyRandom): SenderKey {
  const r = random ?? {
    epoch: new Uint8Array(randomBytes(GROUP_EPOCH_ID_BYTES)),
    chainKey: new Uint8Array(randomBytes(RATCHET_KEY_BYTES)),
    signingSeed: new Uint8Array(randomBytes(32)),
  };
  exactBytes('newSenderKey', 'epoch', r.epoch, GROUP_EPOCH_ID_BYTES);
  exactBytes('newSenderKey', 'chainKey', r.chainKey, RATCHET_KEY_BYTES);
  exactBytes('newSenderKey', 'signingSeed', r.signingSeed, 32);
  return {
    epoch: copy(r.epoch),
    iteration: 0,
    chainKey: copy(r.chainKey),
    signingSecretKey: copy(r.signingSeed),
    signingPublicKey: rawPublicKey(secretKeyObject('ed25519', r.signingSeed, false)),
  };
}

/** What a member is handed for `key` in group `gid` (§25.3). */
export function distributionOf(gid: Uint8Array, key: SenderKey): SenderKeyDistribution {
  return {
    gid: copy(gid),
    epoch: copy(key.epoch),
    iteration: key.iteration,
    chainKey: copy(key.chainKey),
    signingPublicKey: copy(key.signingPublicKey),
  };
}

/** The receiving chain a distribution starts (§25.5). */
export function receivingSenderKey(d: SenderKeyDistribution): ReceivingSenderKey {
  return {
    signingPublicKey: copy(d.signingPublicKey),
    iteration: d.iteration,
    chainKey: copy(d.chainKey),
    skipped: [],
  };
}

/** AEAD key and nonce of a group message key: HKDF-SHA-256(ikm = MK, salt = 32 zero bytes, "chat/v2/group/message"). */
export function groupMessageKeyMaterial(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdfSha256(messageKey, ZERO_SALT, GROUP_MESSAGE_INFO, RATCHET_KEY_BYTES + AEAD_NONCE_BYTES);
  const out = { key: okm.slice(0, RATCHET_KEY_BYTES), nonce: okm.slice(RATCHET_KEY_BYTES) };
  wipe(okm);
  return out;
}

/**
 * Encrypts one group message (§25.4) from `from` in group `gid`: the same bytes go to every member. Returns the
 * message and the chain one step on; the caller stores that state with the outbox rows and wipes the old one.
 * @throws {CryptoError} `RATCHET_CHAIN_EXHAUSTED` past iteration 0xfffffffe (an epoch rotates long before).
 * @example const { message, key: next } = groupEncrypt(key, 'alice', gid, pad(plain))
 */
export function groupEncrypt(
  key: SenderKey,
  from: string,
  gid: Uint8Array,
  plaintext: Uint8Array,
): { message: Uint8Array; key: SenderKey } {
  if (key.iteration > MAX_CHAIN_INDEX) throw new CryptoError('RATCHET_CHAIN_EXHAUSTED', 'sender chain exhausted');
  const header = encodeGroupHeader(from, gid, key.epoch, key.iteration);
  const step = kdfCk(key.chainKey);
  const { key: k, nonce } = groupMessageKeyMaterial(step.messageKey);
  const ciphertext = aeadSeal(plaintext, k, nonce, header);
  wipe(step.messageKey, k);
  const signed = concat(header, ciphertext);
  const signature = sign(concat(LABEL, signed), key.signingSecretKey);
  return {
    message: concat(signed, signature),
    key: { ...key, epoch: copy(key.epoch), iteration: key.iteration + 1, chainKey: step.chainKey },
  };
}

/**
 * Decrypts a parsed group message with the receiving chain of its (gid, from, epoch), checking in §25.5's order: the
 * signature, the skip bound, duplicates, then the AEAD. Works on a copy: the stored chain changes only if the caller
 * stores the returned one (with the history row, §25.5).
 * @throws {CryptoError} `GROUP_BAD_SIGNATURE`, `GROUP_TOO_MANY_SKIPPED`, `GROUP_DUPLICATE`, `GROUP_DECRYPT_FAILED`.
 * @example const { plaintext, key: next } = groupDecrypt(stored, parseGroupMessage(inner))
 */
export function groupDecrypt(
  key: ReceivingSenderKey,
  msg: GroupMessage,
): { plaintext: Uint8Array; key: ReceivingSenderKey } {
  if (!verify(msg.signature, concat(LABEL, msg.signed), key.signingPublicKey)) {
    throw new CryptoError('GROUP_BAD_SIGNATURE', 'group message signature does not verify under the epoch key');
  }
  const n = msg.iteration;
  if (n >= key.iteration && n - key.iteration > GROUP_MAX_SKIP) {
    throw new CryptoError('GROUP_TOO_MANY_SKIPPED', `iteration ${n} skips more than ${GROUP_MAX_SKIP} messages`);
  }
  const skipped = key.skipped.map((s) => ({ iteration: s.iteration, messageKey: copy(s.messageKey) }));
  let chainKey = copy(key.chainKey);
  let iteration = key.iteration;
  let messageKey: Uint8Array;
  if (n < iteration) {
    const at = skipped.findIndex((s) => s.iteration === n);
    if (at < 0) throw new CryptoError('GROUP_DUPLICATE', `iteration ${n} was already received (or its key erased)`);
    messageKey = (skipped.splice(at, 1)[0] as { messageKey: Uint8Array }).messageKey;
  } else {
    while (iteration < n) {
      const step = kdfCk(chainKey);
      wipe(chainKey);
      skipped.push({ iteration, messageKey: step.messageKey });
      chainKey = step.chainKey;
      iteration++;
    }
    while (skipped.length > GROUP_MAX_SKIPPED_KEYS) wipe((skipped.shift() as { messageKey: Uint8Array }).messageKey);
    const step = kdfCk(chainKey);
    wipe(chainKey);
    messageKey = step.messageKey;
    chainKey = step.chainKey;
    iteration++;
  }
  const { key: k, nonce } = groupMessageKeyMaterial(messageKey);
  wipe(messageKey);
  try {
    const plaintext = aeadOpen(msg.ciphertext, k, nonce, msg.header);
    return { plaintext, key: { signingPublicKey: copy(key.signingPublicKey), iteration, chainKey, skipped } };
  } catch (err) {
    wipe(chainKey, ...skipped.map((s) => s.messageKey));
    throw new CryptoError('GROUP_DECRYPT_FAILED', 'group message does not authenticate', { cause: err });
  } finally {
    wipe(k);
  }
}
