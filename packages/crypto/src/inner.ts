/** The byte layout of an envelope's `signed` part and `inner` (PROTOCOL.md §4): encoder and strict parser. */
import { isUtf8 } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import { bytesArg, concat, exactBytes } from './bytes.js';
import { USERNAME_PATTERN, usernameArg } from './bundle.js';
import { fileAnswerProblem, fileOfferProblem } from './file-offer.js';
import {
  MAX_BODY_BYTES,
  MAX_RECEIPT_IDS,
  MAX_RESEND_IDS,
  MESSAGE_ID_BYTES,
  MessageKind,
  SIGNATURE_BYTES,
} from './constants.js';
import { CryptoError } from './errors.js';
import { groupBodyProblem } from './group-record.js';
import { isActionKind, messageActionProblem } from './message-action.js';
import { isTimerKind, timerProblem } from './timer.js';

/** The fields of a message, all of which the sender signs (§4). */
export interface MessageFields {
  /** A {@link MessageKind}: `1` = text (UTF-8 body). */
  kind: number;
  /** Sender's username. */
  from: string;
  /** Recipient's username. */
  to: string;
  /** 16 random bytes chosen by the sender ({@link randomMessageId}). */
  id: Uint8Array;
  /** Sender's clock, milliseconds since the Unix epoch: an integer 0 ≤ ts ≤ 2^53 − 1. */
  ts: number;
  body: Uint8Array;
}

const KINDS: ReadonlySet<number> = new Set(Object.values(MessageKind));
const ascii = new TextEncoder();

/**
 * `kind ‖ len8(from) ‖ from ‖ len8(to) ‖ to ‖ id ‖ ts (u64) ‖ body_len (u32) ‖ body` (§4).
 *
 * @throws {CryptoError} `BODY_TOO_LARGE` if the body is over `maxBody` bytes.
 * @throws {TypeError} / {RangeError} on a bad field (unknown kind, invalid username, id not 16 bytes, ts not a safe
 *   non-negative integer, a text body that is not UTF-8).
 */
export function encodeSigned(fn: string, msg: MessageFields, maxBody = MAX_BODY_BYTES): Uint8Array {
  if (typeof msg !== 'object' || msg === null) throw new TypeError(`${fn}: expected message fields, got ${msg}`);
  const { kind, from, to, id, ts, body } = msg;
  if (typeof kind !== 'number') throw new TypeError(`${fn}: expected kind to be a number, got ${typeof kind}`);
  if (!KINDS.has(kind))
    throw new RangeError(
      `${fn}: expected kind to be a MessageKind (1 text, 2 delivered, 3 read, 4 typing, 5 file offer, 6 file answer, 7-0x0a reply, edit, delete, reaction, 0x0b timer, 0x0c resend request, 0x10-0x12 groups and rooms, 0x13-0x16 group reply, edit, delete, reaction), got ${kind}`,
    );
  usernameArg(fn, 'from', from);
  usernameArg(fn, 'to', to);
  exactBytes(fn, 'id', id, MESSAGE_ID_BYTES);
  if (typeof ts !== 'number') throw new TypeError(`${fn}: expected ts to be a number, got ${typeof ts}`);
  if (!Number.isSafeInteger(ts) || ts < 0) {
    throw new RangeError(`${fn}: expected ts to be an integer from 0 to 2^53 - 1 (ms since the epoch), got ${ts}`);
  }
  bytesArg(fn, 'body', body);
  if (body.length > maxBody) {
    throw new CryptoError('BODY_TOO_LARGE', `message body is ${body.length} bytes; the limit is ${maxBody}`);
  }
  const bodyProblem = checkBody(kind, body);
  if (bodyProblem !== undefined) {
    throw kind === MessageKind.text ? new TypeError(`${fn}: ${bodyProblem}`) : new RangeError(`${fn}: ${bodyProblem}`);
  }
  const head = new Uint8Array(1 + 8 + 4);
  const dv = new DataView(head.buffer);
  dv.setBigUint64(1, BigInt(ts));
  dv.setUint32(9, body.length);
  const f = ascii.encode(from);
  const t = ascii.encode(to);
  return concat(Uint8Array.of(kind, f.length), f, Uint8Array.of(t.length), t, id, head.subarray(1), body);
}

/** A parsed `inner` (§4): the fields, the `signed` bytes and the signature. */
export interface ParsedInner extends MessageFields {
  signed: Uint8Array;
  signature: Uint8Array;
}

/**
 * Parses `inner = signed ‖ sig` with exact lengths (§4 step 3): kind known, usernames valid, every length within
 * the buffer, exactly 64 bytes of signature left, text bodies valid UTF-8. Returned arrays are copies.
 *
 * @throws {CryptoError} `ENVELOPE_MALFORMED` on any violation.
 */
export function parseInner(inner: Uint8Array): ParsedInner {
  if (!isUint8Array(inner)) malformed('inner is not bytes');
  const dv = new DataView(inner.buffer, inner.byteOffset, inner.byteLength);
  let at = 0;
  const take = (n: number, what: string): Uint8Array => {
    if (n > inner.length - at) malformed(`${what} runs past the end`);
    const out = inner.slice(at, at + n);
    at += n;
    return out;
  };
  const kind = take(1, 'kind')[0] as number;
  if (!KINDS.has(kind)) malformed(`unknown kind ${kind}`);
  const from = username(take(take(1, 'len8(from)')[0] as number, 'from'), 'from');
  const to = username(take(take(1, 'len8(to)')[0] as number, 'to'), 'to');
  const id = take(MESSAGE_ID_BYTES, 'id');
  take(8, 'ts');
  const ts = dv.getBigUint64(at - 8);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) malformed('ts is above 2^53 - 1');
  take(4, 'body_len');
  const body = take(dv.getUint32(at - 4), 'body');
  if (inner.length - at !== SIGNATURE_BYTES) {
    malformed(`expected exactly ${SIGNATURE_BYTES} bytes of signature, got ${inner.length - at}`);
  }
  const bodyProblem = checkBody(kind, body);
  if (bodyProblem !== undefined) malformed(bodyProblem);
  return { kind, from, to, id, ts: Number(ts), body, signed: inner.slice(0, at), signature: inner.slice(at) };
}

/**
 * The per-kind body rules of §4 (and §15–§17); a description of the violation, or undefined. Exported for v2
 * (PROTOCOL.md §23), whose plaintext carries the same kinds and bodies.
 */
export function messageBodyProblem(kind: number, body: Uint8Array): string | undefined {
  return KINDS.has(kind) ? checkBody(kind, body) : `unknown kind ${kind}`;
}

/** The per-kind body rules of §4; a description of the violation, or undefined. */
function checkBody(kind: number, body: Uint8Array): string | undefined {
  switch (kind) {
    case MessageKind.text:
      return isUtf8(body) ? undefined : 'a text body must be valid UTF-8';
    case MessageKind.delivered:
    case MessageKind.read:
      return body.length > 0 &&
        body.length % MESSAGE_ID_BYTES === 0 &&
        body.length <= MAX_RECEIPT_IDS * MESSAGE_ID_BYTES
        ? undefined
        : `a receipt body must be 1 to ${MAX_RECEIPT_IDS} message ids of ${MESSAGE_ID_BYTES} bytes, got ${body.length} bytes`;
    case MessageKind.resendRequest:
      return body.length > 0 && body.length % MESSAGE_ID_BYTES === 0 && body.length <= MAX_RESEND_IDS * MESSAGE_ID_BYTES
        ? undefined
        : `a resend request body must be 1 to ${MAX_RESEND_IDS} message ids of ${MESSAGE_ID_BYTES} bytes, got ${body.length} bytes`;
    case MessageKind.typing:
      return body.length === 1 && (body[0] === 0 || body[0] === 1)
        ? undefined
        : 'a typing body must be one byte, 0 or 1';
    case MessageKind.groupText:
    case MessageKind.groupState:
    case MessageKind.roomText:
      return groupBodyProblem(kind, body);
    case MessageKind.fileOffer:
      return fileOfferProblem(body);
    case MessageKind.fileAnswer:
      return fileAnswerProblem(body);
    default:
      if (isTimerKind(kind)) return timerProblem(kind, body);
      return isActionKind(kind) ? messageActionProblem(kind, body) : undefined;
  }
}

function username(bytes: Uint8Array, what: string): string {
  let name = '';
  for (const b of bytes) name += String.fromCharCode(b); // any byte ≥ 0x80 then fails the ASCII-only pattern
  if (!USERNAME_PATTERN.test(name)) malformed(`invalid username in ${what}`);
  return name;
}

function malformed(why: string): never {
  throw new CryptoError('ENVELOPE_MALFORMED', `malformed envelope: ${why}`);
}
