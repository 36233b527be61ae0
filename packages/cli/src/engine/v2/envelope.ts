/**
 * The v2 envelope's byte layout (PROTOCOL.md §24.1): one pure codec for both directions. Sealing, the ratchet and the
 * session bookkeeping are session.ts's.
 */
import {
  CryptoError,
  MAX_BODY_BYTES,
  MESSAGE_ID_BYTES,
  SENDER_KEY_KIND,
  SENDER_KEY_REQUEST_KIND,
  USERNAME_PATTERN,
  messageBodyProblem,
  pad,
  unpad,
} from '@chat/crypto';

/** The envelope version byte of v2 (§24.1); v1's is 0x01 (§4). */
export const ENVELOPE_V2 = 0x02;
/** `type`: an initiation (§19.5) precedes the ratchet message. */
export const TYPE_INITIATION = 0x01;
/** `type`: the ratchet message only. */
export const TYPE_MESSAGE = 0x02;
/** The shortest ratchet message: a 40-byte header and a 16-byte tag (§20.3). */
const MIN_RATCHET_MESSAGE = 56;

/** A v2 envelope refused on receipt, with the code it is recorded under (§24.3). */
export class V2Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the recipient finds inside the sealed box. */
export interface InnerV2 {
  from: string;
  /** The initiation bytes (§19.5) followed by the ratchet message, for `type 0x01`; else the ratchet message. */
  initiation: boolean;
  payload: Uint8Array;
}

/** The fields v1 signs, which v2 authenticates through the ratchet (§24.1). */
export interface PlainV2 {
  kind: number;
  id: Uint8Array;
  ts: number;
  body: Uint8Array;
}

const ascii = new TextEncoder();

/** `len8(from) ‖ from ‖ type ‖ [initiation] ‖ message`. */
export function encodeInnerV2(from: string, initiation: Uint8Array | null, message: Uint8Array): Uint8Array {
  const name = ascii.encode(from);
  const head = Uint8Array.of(name.length, ...name, initiation ? TYPE_INITIATION : TYPE_MESSAGE);
  return Buffer.concat([head, initiation ?? new Uint8Array(0), message]);
}

/** @throws {V2Rejection} ENVELOPE_MALFORMED. The initiation itself is decoded (and checked) by the session. */
export function parseInnerV2(inner: Uint8Array): InnerV2 {
  const n = inner[0];
  if (n === undefined || inner.length < 1 + n + 1) malformed('too short for its sender');
  let from = '';
  for (const b of inner.subarray(1, 1 + n)) from += String.fromCharCode(b);
  if (!USERNAME_PATTERN.test(from)) malformed('invalid username in from');
  const type = inner[1 + n];
  if (type !== TYPE_INITIATION && type !== TYPE_MESSAGE) malformed(`unknown type ${type}`);
  const payload = inner.slice(2 + n);
  if (payload.length < MIN_RATCHET_MESSAGE) malformed('too short for a ratchet message');
  return { from, initiation: type === TYPE_INITIATION, payload };
}

/** `pad(kind ‖ id ‖ u64be(ts) ‖ body)` (§24.1, §21). */
export function encodePlainV2(p: PlainV2): Uint8Array {
  const head = new Uint8Array(1 + MESSAGE_ID_BYTES + 8);
  head[0] = p.kind;
  head.set(p.id, 1);
  new DataView(head.buffer).setBigUint64(1 + MESSAGE_ID_BYTES, BigInt(p.ts));
  return pad(Buffer.concat([head, p.body]));
}

/** @throws {V2Rejection} PADDING_INVALID / ENVELOPE_MALFORMED (§24.3 step 7). */
export function parsePlainV2(padded: Uint8Array): PlainV2 {
  let plain: Uint8Array;
  try {
    plain = unpad(padded);
  } catch (err) {
    if (err instanceof CryptoError) throw new V2Rejection(err.code, err.message);
    throw err;
  }
  if (plain.length < 1 + MESSAGE_ID_BYTES + 8) malformed('plaintext too short');
  const kind = plain[0] as number;
  const ts = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getBigUint64(1 + MESSAGE_ID_BYTES);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) malformed('ts is above 2^53 - 1');
  const body = plain.slice(1 + MESSAGE_ID_BYTES + 8);
  if (body.length > MAX_BODY_BYTES + 5328) malformed('body too large'); // the v1 receiver's bound (§4.1: 65,328)
  // A sender key distribution (§25.3) and request (§25.9) exist only in v2; their handlers check their bodies.
  const problem =
    kind === SENDER_KEY_KIND || kind === SENDER_KEY_REQUEST_KIND ? undefined : messageBodyProblem(kind, body);
  if (problem !== undefined) malformed(problem);
  return { kind, id: plain.slice(1, 1 + MESSAGE_ID_BYTES), ts: Number(ts), body };
}

function malformed(why: string): never {
  throw new V2Rejection('ENVELOPE_MALFORMED', `malformed v2 envelope: ${why}`);
}
