/**
 * Byte layouts of group sender keys (PROTOCOL.md §25): the sender key distribution body (§25.3), the group message
 * (§25.4) and a receiving chain at rest (§25.7). Pure codecs; the chain and the checks are sender-key.ts's.
 */
import { isUint8Array } from 'node:util/types';
import { USERNAME_PATTERN } from './bundle.js';
import { exactBytes } from './bytes.js';
import { MessageKind, SIGNATURE_BYTES } from './constants.js';
import { CryptoError } from './errors.js';
import { GROUP_ID_BYTES } from './group-record.js';
import { isCanonicalEdPoint, isSmallOrderEdPoint } from './strict.js';
import {
  AEAD_TAG_BYTES,
  GROUP_EPOCH_ID_BYTES,
  GROUP_MAX_SKIPPED_KEYS,
  MAX_CHAIN_INDEX,
  RATCHET_KEY_BYTES,
} from './v2-constants.js';

/** The kinds a group message may carry (§25.4): the group kinds whose body starts with the gid, never a state record. */
export const GROUP_MESSAGE_KINDS: ReadonlySet<number> = new Set([
  MessageKind.groupText,
  MessageKind.groupReply,
  MessageKind.groupEdit,
  MessageKind.groupDelete,
  MessageKind.groupReaction,
  MessageKind.groupTimer,
]);

/** What a sender key distribution (§25.3) hands one member: the sender's chain for one group and epoch. */
export interface SenderKeyDistribution {
  gid: Uint8Array;
  epoch: Uint8Array;
  /** The iteration `chainKey` is for: the next message the sender will send in this epoch. */
  iteration: number;
  chainKey: Uint8Array;
  /** The epoch's Ed25519 public key (made for this epoch; never the sender's long-term key). */
  signingPublicKey: Uint8Array;
}

/** `gid (16) ‖ epoch (16) ‖ u32be(iteration) ‖ chain key (32) ‖ signing public key (32)`: 100 bytes. */
export const SENDER_KEY_DISTRIBUTION_BYTES = GROUP_ID_BYTES + GROUP_EPOCH_ID_BYTES + 4 + RATCHET_KEY_BYTES + 32;

/**
 * The body of a sender key distribution (§25.3).
 * @throws {RangeError} if a field has the wrong length or `iteration` is not a u32 ≤ 0xfffffffe.
 * @example const body = encodeSenderKeyDistribution({ gid, epoch, iteration: 0, chainKey, signingPublicKey })
 */
export function encodeSenderKeyDistribution(d: SenderKeyDistribution): Uint8Array {
  exactBytes('encodeSenderKeyDistribution', 'gid', d.gid, GROUP_ID_BYTES);
  exactBytes('encodeSenderKeyDistribution', 'epoch', d.epoch, GROUP_EPOCH_ID_BYTES);
  exactBytes('encodeSenderKeyDistribution', 'chainKey', d.chainKey, RATCHET_KEY_BYTES);
  exactBytes('encodeSenderKeyDistribution', 'signingPublicKey', d.signingPublicKey, 32);
  u32('encodeSenderKeyDistribution', d.iteration);
  const out = new Uint8Array(SENDER_KEY_DISTRIBUTION_BYTES);
  out.set(d.gid, 0);
  out.set(d.epoch, 16);
  new DataView(out.buffer).setUint32(32, d.iteration);
  out.set(d.chainKey, 36);
  out.set(d.signingPublicKey, 68);
  return out;
}

/**
 * Parses a sender key distribution body (§25.3): exactly 100 bytes, an iteration ≤ 0xfffffffe, a signing key that is
 * a canonical Ed25519 point not of small order.
 * @throws {CryptoError} `GROUP_SENDER_KEY_INVALID` otherwise.
 * @example const d = parseSenderKeyDistribution(body)
 */
export function parseSenderKeyDistribution(body: Uint8Array): SenderKeyDistribution {
  if (!isUint8Array(body) || body.length !== SENDER_KEY_DISTRIBUTION_BYTES) {
    throw invalid(`a sender key distribution is ${SENDER_KEY_DISTRIBUTION_BYTES} bytes`);
  }
  const iteration = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(32);
  if (iteration > MAX_CHAIN_INDEX) throw invalid('iteration out of range');
  const signingPublicKey = body.slice(68, 100);
  if (!isCanonicalEdPoint(signingPublicKey) || isSmallOrderEdPoint(signingPublicKey)) {
    throw invalid('the signing key is not a canonical Ed25519 point of large order');
  }
  return {
    gid: body.slice(0, 16),
    epoch: body.slice(16, 32),
    iteration,
    chainKey: body.slice(36, 68),
    signingPublicKey,
  };
}

/** A group message (§25.4) split into its fields; `header` and `signed` are the bytes the AEAD and signature cover. */
export interface GroupMessage {
  from: string;
  gid: Uint8Array;
  epoch: Uint8Array;
  iteration: number;
  header: Uint8Array;
  ciphertext: Uint8Array;
  /** `header ‖ ciphertext`: what the signature covers after its label. */
  signed: Uint8Array;
  signature: Uint8Array;
}

/** `len8(from) ‖ from ‖ gid (16) ‖ epoch (16) ‖ u32be(iteration)`. */
export function encodeGroupHeader(from: string, gid: Uint8Array, epoch: Uint8Array, iteration: number): Uint8Array {
  if (typeof from !== 'string' || !USERNAME_PATTERN.test(from)) throw new RangeError('encodeGroupHeader: bad from');
  exactBytes('encodeGroupHeader', 'gid', gid, GROUP_ID_BYTES);
  exactBytes('encodeGroupHeader', 'epoch', epoch, GROUP_EPOCH_ID_BYTES);
  u32('encodeGroupHeader', iteration);
  const name = Buffer.from(from, 'latin1');
  const out = new Uint8Array(1 + name.length + 36);
  out[0] = name.length;
  out.set(name, 1);
  out.set(gid, 1 + name.length);
  out.set(epoch, 17 + name.length);
  new DataView(out.buffer).setUint32(33 + name.length, iteration);
  return out;
}

/**
 * Splits a group message (§25.4): a valid username, 36 bytes of ids and iteration, an iteration ≤ 0xfffffffe, at
 * least a tag of ciphertext, a 64-byte signature.
 * @throws {CryptoError} `ENVELOPE_MALFORMED` otherwise.
 * @example const msg = parseGroupMessage(openSealed(env.subarray(1), me.encryption))
 */
export function parseGroupMessage(bytes: Uint8Array): GroupMessage {
  const n = isUint8Array(bytes) ? bytes[0] : undefined;
  if (n === undefined || bytes.length < 1 + n + 36 + AEAD_TAG_BYTES + SIGNATURE_BYTES) {
    throw malformed('too short for a group message');
  }
  const from = Buffer.from(bytes.subarray(1, 1 + n)).toString('latin1');
  if (!USERNAME_PATTERN.test(from)) throw malformed('invalid username in from');
  const h = 1 + n + 36;
  const iteration = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(h - 4);
  if (iteration > MAX_CHAIN_INDEX) throw malformed('iteration out of range');
  const end = bytes.length - SIGNATURE_BYTES;
  return {
    from,
    gid: bytes.slice(1 + n, 17 + n),
    epoch: bytes.slice(17 + n, 33 + n),
    iteration,
    header: bytes.slice(0, h),
    ciphertext: bytes.slice(h, end),
    signed: bytes.slice(0, end),
    signature: bytes.slice(end),
  };
}

/** One receiving chain of one member's epoch (§25.5), as the receiver keeps it. */
export interface ReceivingSenderKey {
  signingPublicKey: Uint8Array;
  /** The next iteration the chain key is for. */
  iteration: number;
  chainKey: Uint8Array;
  /** Message keys of skipped iterations, oldest first, at most {@link GROUP_MAX_SKIPPED_KEYS}. */
  skipped: { iteration: number; messageKey: Uint8Array }[];
}

/** Format byte of a receiving chain at rest (§25.7). */
export const SENDER_KEY_STATE_FORMAT = 0x01;

/**
 * `0x01 ‖ signing public key (32) ‖ u32be(iteration) ‖ chain key (32) ‖ u16be(count) ‖ (u32be(iteration) ‖ MK (32))`.
 * @example db.put(serializeReceivingSenderKey(key))
 */
export function serializeReceivingSenderKey(k: ReceivingSenderKey): Uint8Array {
  const out = new Uint8Array(71 + 36 * k.skipped.length);
  const v = new DataView(out.buffer);
  out[0] = SENDER_KEY_STATE_FORMAT;
  out.set(k.signingPublicKey, 1);
  v.setUint32(33, k.iteration);
  out.set(k.chainKey, 37);
  v.setUint16(69, k.skipped.length);
  k.skipped.forEach((s, i) => {
    v.setUint32(71 + 36 * i, s.iteration);
    out.set(s.messageKey, 75 + 36 * i);
  });
  return out;
}

/**
 * The receiving chain `serializeReceivingSenderKey` wrote.
 * @throws {CryptoError} `GROUP_SENDER_KEY_INVALID` for another format, truncation, trailing bytes, more than 1,000
 *   skipped keys, or skipped iterations not strictly increasing below the chain's iteration.
 */
export function deserializeReceivingSenderKey(b: Uint8Array): ReceivingSenderKey {
  if (!isUint8Array(b) || b.length < 71 || b[0] !== SENDER_KEY_STATE_FORMAT) throw invalid('bad state format');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = v.getUint16(69);
  if (count > GROUP_MAX_SKIPPED_KEYS || b.length !== 71 + 36 * count) throw invalid('bad state length');
  const iteration = v.getUint32(33);
  const skipped: ReceivingSenderKey['skipped'] = [];
  for (let i = 0; i < count; i++) {
    const it = v.getUint32(71 + 36 * i);
    const prev = skipped.at(-1)?.iteration ?? -1;
    if (it <= prev || it >= iteration) throw invalid('skipped iterations out of order');
    skipped.push({ iteration: it, messageKey: b.slice(75 + 36 * i, 107 + 36 * i) });
  }
  return { signingPublicKey: b.slice(1, 33), iteration, chainKey: b.slice(37, 69), skipped };
}

function u32(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_CHAIN_INDEX) throw new RangeError(`${fn}: iteration out of range`);
}

function invalid(why: string): CryptoError {
  return new CryptoError('GROUP_SENDER_KEY_INVALID', `sender key: ${why}`);
}

function malformed(why: string): CryptoError {
  return new CryptoError('ENVELOPE_MALFORMED', `group message: ${why}`);
}
