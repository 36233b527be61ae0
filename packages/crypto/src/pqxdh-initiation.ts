/**
 * The PQXDH initiation (PROTOCOL.md §19.5): what the initiator's first message carries so the responder can find
 * its prekeys and recompute SK, its one byte layout, and the replay key the responder remembers.
 */
import { createHash } from 'node:crypto';
import { isUint8Array } from 'node:util/types';
import { concat, exactBytes, toHex, utf8 } from './bytes.js';
import { PUBLIC_KEY_BYTES } from './constants.js';
import { CryptoError } from './errors.js';
import { isKeyId } from './prekey.js';
import { MLKEM_CIPHERTEXT_BYTES, PQXDH_REPLAY_LABEL, PrekeyType } from './v2-constants.js';

/** Ids of the responder's prekeys used, the initiator's ephemeral key and the ML-KEM ciphertext. */
export interface PqxdhInitiation {
  signedPrekeyId: number;
  /** Absent when the relay had no one-time X25519 prekey left (then there is no DH4). */
  oneTimePrekeyId?: number;
  pqPrekeyType: typeof PrekeyType.mlkemOneTime | typeof PrekeyType.mlkemLastResort;
  pqPrekeyId: number;
  ephemeralPublicKey: Uint8Array;
  kemCipherText: Uint8Array;
}

const FLAG_ONE_TIME = 0x01;
const REPLAY_LABEL = utf8(PQXDH_REPLAY_LABEL);

/**
 * `flags (1) ‖ pq_type (1) ‖ u32be(spk_id) ‖ [u32be(opk_id)] ‖ u32be(pq_id) ‖ EK_A (32) ‖ CT (1088)`: 1,130
 * bytes, or 1,134 with a one-time prekey (flags bit 0).
 *
 * @throws {RangeError} on ids outside u32, an unknown pq type, or keys of the wrong length.
 * @example const bytes = encodeInitiation(initiation)
 */
export function encodeInitiation(i: PqxdhInitiation): Uint8Array {
  return concat(
    idsPart(i, 'encodeInitiation'),
    exactBytes('encodeInitiation', 'kemCipherText', i.kemCipherText, MLKEM_CIPHERTEXT_BYTES),
  );
}

/**
 * Decodes an initiation at the start of `bytes`; `rest` is what follows it (the first ratchet message).
 *
 * @throws {CryptoError} `PQXDH_INITIATION_INVALID` on unknown flags or type, or too few bytes.
 * @example const { initiation, rest } = decodeInitiation(body)
 */
export function decodeInitiation(bytes: Uint8Array): { initiation: PqxdhInitiation; rest: Uint8Array } {
  if (!isUint8Array(bytes) || bytes.length < 2) bad('too short');
  const flags = bytes[0] as number;
  const pqType = bytes[1] as number;
  if ((flags & ~FLAG_ONE_TIME) !== 0) bad(`unknown flags 0x${flags.toString(16)}`);
  if (pqType !== PrekeyType.mlkemOneTime && pqType !== PrekeyType.mlkemLastResort) bad(`pq type ${pqType}`);
  const hasOneTime = (flags & FLAG_ONE_TIME) !== 0;
  const idsEnd = 2 + (hasOneTime ? 12 : 8);
  const end = idsEnd + PUBLIC_KEY_BYTES + MLKEM_CIPHERTEXT_BYTES;
  if (bytes.length < end) bad(`${bytes.length} bytes, expected at least ${end}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const initiation: PqxdhInitiation = {
    signedPrekeyId: view.getUint32(2),
    pqPrekeyType: pqType,
    pqPrekeyId: view.getUint32(idsEnd - 4),
    ephemeralPublicKey: bytes.slice(idsEnd, idsEnd + PUBLIC_KEY_BYTES),
    kemCipherText: bytes.slice(idsEnd + PUBLIC_KEY_BYTES, end),
    ...(hasOneTime ? { oneTimePrekeyId: view.getUint32(6) } : {}),
  };
  return { initiation, rest: bytes.slice(end) };
}

/**
 * The replay key of an initiation (§19.6): lower-case hex of `SHA-256("chat/v2/replay\0" ‖ flags ‖ pq_type ‖
 * u32be(spk_id) ‖ [u32be(opk_id)] ‖ u32be(pq_id) ‖ EK_A)`. The ciphertext is left out, so an attacker cannot make
 * a replay look new by altering it. The responder keeps the keys of initiations it accepted while the prekeys they
 * name live, and refuses a repeat ({@link checkNotReplayed}).
 *
 * @throws {RangeError} as {@link encodeInitiation}.
 * @example seen.add(pqxdhReplayKey(initiation))
 */
export function pqxdhReplayKey(i: PqxdhInitiation): string {
  return toHex(createHash('sha256').update(REPLAY_LABEL).update(idsPart(i, 'pqxdhReplayKey')).digest());
}

/**
 * Refuses an initiation whose replay key `seen` already has; returns the key to record once the message decrypts.
 * A caller whose current session with the sender was started by this very initiation decrypts in that session
 * instead of calling this (the initiator repeats the initiation until it hears back, PROTOCOL.md §19.6).
 *
 * @throws {CryptoError} `PQXDH_REPLAY` if it does.
 * @example checkNotReplayed(initiation, { has: (k) => db.replaySeen(k) })
 */
export function checkNotReplayed(i: PqxdhInitiation, seen: { has(key: string): boolean }): string {
  const key = pqxdhReplayKey(i);
  if (seen.has(key)) throw new CryptoError('PQXDH_REPLAY', 'this first message was already received (replay)');
  return key;
}

function idsPart(i: PqxdhInitiation, fn: string): Uint8Array {
  const hasOneTime = i.oneTimePrekeyId !== undefined;
  const ids = [i.signedPrekeyId, ...(hasOneTime ? [i.oneTimePrekeyId] : []), i.pqPrekeyId];
  if (!ids.every(isKeyId)) throw new RangeError(`${fn}: expected every prekey id to be a u32`);
  if (i.pqPrekeyType !== PrekeyType.mlkemOneTime && i.pqPrekeyType !== PrekeyType.mlkemLastResort) {
    throw new RangeError(`${fn}: expected an ML-KEM prekey type, got ${String(i.pqPrekeyType)}`);
  }
  exactBytes(fn, 'ephemeralPublicKey', i.ephemeralPublicKey, PUBLIC_KEY_BYTES);
  const head = new Uint8Array(2 + 4 * ids.length);
  const view = new DataView(head.buffer);
  head[0] = hasOneTime ? FLAG_ONE_TIME : 0;
  head[1] = i.pqPrekeyType;
  ids.forEach((id, k) => view.setUint32(2 + 4 * k, id as number));
  return concat(head, i.ephemeralPublicKey);
}

function bad(why: string): never {
  throw new CryptoError('PQXDH_INITIATION_INVALID', `invalid PQXDH initiation: ${why}`);
}
