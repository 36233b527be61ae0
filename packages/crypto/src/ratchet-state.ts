/**
 * Double Ratchet session state (PROTOCOL.md §20.1) and its storage encoding (§20.7). The encoding is for the
 * client's own database only and never crosses the wire; it is versioned so a later format can be told apart.
 */
import { isUint8Array } from 'node:util/types';
import { concat, toHex, wipe } from './bytes.js';
import { CryptoError } from './errors.js';
import type { KeyPair } from './identity.js';
import { MAX_RETIRED_CHAINS, MAX_SKIPPED_TOTAL } from './v2-constants.js';

/** A stored message key of a skipped message: its sender's ratchet key and number (rev. 4 §3.2 `MKSKIPPED`). */
export interface SkippedKey {
  dh: Uint8Array;
  n: number;
  messageKey: Uint8Array;
}

/** The variables of rev. 4 §3.2, named for what they hold. */
export interface RatchetState {
  /** RK */
  rootKey: Uint8Array;
  /** DHs */
  sending: KeyPair;
  /** DHr: the peer's current ratchet public key, null until known. */
  receivingKey: Uint8Array | null;
  /** CKs, CKr: null until the chain exists. */
  sendingChainKey: Uint8Array | null;
  receivingChainKey: Uint8Array | null;
  /** Ns, Nr, PN */
  sendCount: number;
  receiveCount: number;
  previousSendCount: number;
  /** The PQXDH associated data (§19.3), authenticated with every message. */
  associatedData: Uint8Array;
  /** MKSKIPPED, keyed by `hex(dh):n`, oldest first. */
  skipped: Map<string, SkippedKey>;
  /** Earlier values of DHr, oldest first, at most {@link MAX_RETIRED_CHAINS}. */
  retired: Uint8Array[];
}

/** The format byte of {@link serializeRatchetState}'s output. */
export const RATCHET_STATE_FORMAT = 1;
const HAS_RECEIVING_KEY = 0x01;
const HAS_SENDING_CHAIN = 0x02;
const HAS_RECEIVING_CHAIN = 0x04;

/** @internal The key of a skipped message key in {@link RatchetState.skipped}: ratchet public key and number. */
export function skippedId(dh: Uint8Array, n: number): string {
  return `${toHex(dh)}:${n}`;
}

/** A deep copy: no byte array is shared with `s`. */
export function cloneRatchetState(s: RatchetState): RatchetState {
  const c = (b: Uint8Array) => new Uint8Array(b);
  return {
    rootKey: c(s.rootKey),
    sending: { secretKey: c(s.sending.secretKey), publicKey: c(s.sending.publicKey) },
    receivingKey: s.receivingKey && c(s.receivingKey),
    sendingChainKey: s.sendingChainKey && c(s.sendingChainKey),
    receivingChainKey: s.receivingChainKey && c(s.receivingChainKey),
    sendCount: s.sendCount,
    receiveCount: s.receiveCount,
    previousSendCount: s.previousSendCount,
    associatedData: c(s.associatedData),
    skipped: new Map([...s.skipped].map(([k, v]) => [k, { dh: c(v.dh), n: v.n, messageKey: c(v.messageKey) }])),
    retired: s.retired.map(c),
  };
}

/**
 * Overwrites every secret of `s` with zeros: call it on the old state once the new one is stored.
 * @example db.transaction(() => { saveState(next); saveHistory(row) })(); wipeRatchetState(old)
 */
export function wipeRatchetState(s: RatchetState): void {
  wipe(s.rootKey, s.sending.secretKey);
  if (s.sendingChainKey) wipe(s.sendingChainKey);
  if (s.receivingChainKey) wipe(s.receivingChainKey);
  for (const k of s.skipped.values()) wipe(k.messageKey);
}

/**
 * The storage encoding (§20.7): `format (1) ‖ flags (1) ‖ RK ‖ DHs.sk ‖ DHs.pk ‖ [DHr] ‖ [CKs] ‖ [CKr] ‖ u32be(Ns)
 * ‖ u32be(Nr) ‖ u32be(PN) ‖ u16be(len AD) ‖ AD ‖ u8(count) ‖ retired keys ‖ u16be(count) ‖ (dh ‖ u32be(n) ‖ mk)…`.
 * It holds secrets: store it only where the history is (encrypted at rest), never in a backup.
 * @example db.put(peer, serializeRatchetState(state))
 */
export function serializeRatchetState(s: RatchetState): Uint8Array {
  const flags =
    (s.receivingKey ? HAS_RECEIVING_KEY : 0) |
    (s.sendingChainKey ? HAS_SENDING_CHAIN : 0) |
    (s.receivingChainKey ? HAS_RECEIVING_CHAIN : 0);
  const counters = new Uint8Array(14);
  const view = new DataView(counters.buffer);
  view.setUint32(0, s.sendCount);
  view.setUint32(4, s.receiveCount);
  view.setUint32(8, s.previousSendCount);
  view.setUint16(12, s.associatedData.length);
  const skipped = [...s.skipped.values()].map((k) => {
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, k.n);
    return concat(k.dh, n, k.messageKey);
  });
  const count = new Uint8Array(2);
  new DataView(count.buffer).setUint16(0, skipped.length);
  return concat(
    Uint8Array.of(RATCHET_STATE_FORMAT, flags),
    s.rootKey,
    s.sending.secretKey,
    s.sending.publicKey,
    ...[s.receivingKey, s.sendingChainKey, s.receivingChainKey].filter((k): k is Uint8Array => k !== null),
    counters,
    s.associatedData,
    Uint8Array.of(s.retired.length),
    ...s.retired,
    count,
    ...skipped,
  );
}

/**
 * Decodes {@link serializeRatchetState}'s output, checking every length, flag and bound.
 * @throws {CryptoError} `RATCHET_STATE_INVALID` on anything else.
 * @example const state = deserializeRatchetState(db.get(peer))
 */
export function deserializeRatchetState(bytes: Uint8Array): RatchetState {
  if (!isUint8Array(bytes)) bad('not bytes');
  const r = new Reader(bytes);
  if (r.u8() !== RATCHET_STATE_FORMAT) bad('unknown format');
  const flags = r.u8();
  if ((flags & ~(HAS_RECEIVING_KEY | HAS_SENDING_CHAIN | HAS_RECEIVING_CHAIN)) !== 0) bad('unknown flags');
  const rootKey = r.bytes(32);
  const sending = { secretKey: r.bytes(32), publicKey: r.bytes(32) };
  const receivingKey = flags & HAS_RECEIVING_KEY ? r.bytes(32) : null;
  const sendingChainKey = flags & HAS_SENDING_CHAIN ? r.bytes(32) : null;
  const receivingChainKey = flags & HAS_RECEIVING_CHAIN ? r.bytes(32) : null;
  const sendCount = r.u32();
  const receiveCount = r.u32();
  const previousSendCount = r.u32();
  const associatedData = r.bytes(r.u16());
  const retiredCount = r.u8();
  if (retiredCount > MAX_RETIRED_CHAINS) bad('too many retired keys');
  const retired = Array.from({ length: retiredCount }, () => r.bytes(32));
  const skippedCount = r.u16();
  if (skippedCount > MAX_SKIPPED_TOTAL) bad('too many skipped keys');
  const skipped = new Map<string, SkippedKey>();
  for (let i = 0; i < skippedCount; i++) {
    const k = { dh: r.bytes(32), n: r.u32(), messageKey: r.bytes(32) };
    const id = skippedId(k.dh, k.n);
    if (skipped.has(id)) bad('a skipped key twice');
    skipped.set(id, k);
  }
  if (!r.done()) bad('trailing bytes');
  if (receivingChainKey !== null && receivingKey === null) bad('a receiving chain without a ratchet key');
  return {
    rootKey,
    sending,
    receivingKey,
    sendingChainKey,
    receivingChainKey,
    sendCount,
    receiveCount,
    previousSendCount,
    associatedData,
    skipped,
    retired,
  };
}

class Reader {
  #at = 0;
  readonly #view: DataView;
  constructor(private readonly b: Uint8Array) {
    this.#view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  #take(n: number): number {
    if (this.#at + n > this.b.length) bad('truncated');
    const at = this.#at;
    this.#at += n;
    return at;
  }
  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }
  u16(): number {
    return this.#view.getUint16(this.#take(2));
  }
  u32(): number {
    return this.#view.getUint32(this.#take(4));
  }
  bytes(n: number): Uint8Array {
    const at = this.#take(n);
    // A copy even of a Buffer (whose `slice` is a view): the state's keys must not alias the encoding they came from,
    // which the caller keeps (a session row compared before it is replaced) while the state's keys are wiped.
    return new Uint8Array(this.b.subarray(at, at + n));
  }
  done(): boolean {
    return this.#at === this.b.length;
  }
}

function bad(why: string): never {
  throw new CryptoError('RATCHET_STATE_INVALID', `invalid ratchet state: ${why}`);
}
