/**
 * Bodies of the everyday-messaging kinds (PROTOCOL.md §17): a reply, an edit, a delete and a reaction, each naming
 * the message it is about by a 16-byte target reference; the group variants start with the group id (§15.1). Pure
 * functions: who may edit or delete what is the receiving client's check (§17.3), not the codec's.
 *
 *   reply    = target (16) ‖ text (UTF-8)
 *   edit     = target (16) ‖ seq (u32, ≥ 1) ‖ text (UTF-8)
 *   delete   = target (16)
 *   reaction = target (16) ‖ emoji (UTF-8, 0..MAX_REACTION_BYTES, no control / bidi / line-break character)
 *   group X  = gid (16) ‖ X
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { concat } from './bytes.js';
import { MAX_BODY_BYTES, MessageKind } from './constants.js';
import { CryptoError } from './errors.js';

/** A target reference: a 1:1 message's id, or a group message's reference ({@link groupMessageRef}). */
export const TARGET_BYTES = 16;
/** Longest reaction, in UTF-8 bytes (§17.1): room for a ZWJ emoji sequence, not for a message. */
export const MAX_REACTION_BYTES = 64;
/** Domain separation of {@link groupMessageRef} (§17.2). */
export const GROUP_MESSAGE_REF_LABEL = 'chat/v1/group-msg\0';

export type ActionOp = 'reply' | 'edit' | 'delete' | 'reaction';

/** One parsed §17 body. `gid` is set for the group kinds; `text` for reply and edit; `emoji` for a reaction. */
export interface MessageAction {
  op: ActionOp;
  gid?: Uint8Array;
  target: Uint8Array;
  /** The edit's sequence number (§17.3): the highest wins, whatever the order of arrival. */
  seq?: number;
  text?: string;
  /** `""` removes the author's reaction. */
  emoji?: string;
}

/** The kinds of §17.1 (MessageKind.reply … MessageKind.groupReaction). */
const OPS: Record<number, { op: ActionOp; group: boolean }> = {
  [MessageKind.reply]: { op: 'reply', group: false },
  [MessageKind.edit]: { op: 'edit', group: false },
  [MessageKind.delete]: { op: 'delete', group: false },
  [MessageKind.reaction]: { op: 'reaction', group: false },
  [MessageKind.groupReply]: { op: 'reply', group: true },
  [MessageKind.groupEdit]: { op: 'edit', group: true },
  [MessageKind.groupDelete]: { op: 'delete', group: true },
  [MessageKind.groupReaction]: { op: 'reaction', group: true },
};

/** Whether `kind` is one of §17.1. */
export const isActionKind = (kind: number): boolean => OPS[kind] !== undefined;

/** What a reaction MUST NOT contain (§17.1): controls, bidi controls, line and paragraph separators. */
const REACTION_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The body of kind `kind` for `a` (the `gid` for a group kind). @throws {RangeError} on anything
 * {@link parseMessageAction} would refuse, or a text over {@link MAX_BODY_BYTES}.
 * @example encodeMessageAction(MessageKind.edit, { op: 'edit', target, seq: 1, text: 'fixed' })
 */
export function encodeMessageAction(kind: number, a: MessageAction): Uint8Array {
  const spec = OPS[kind];
  if (!spec || spec.op !== a.op) throw new RangeError(`encodeMessageAction: kind ${kind} is not a ${a.op}`);
  const parts: Uint8Array[] = [];
  if (spec.group) parts.push(a.gid ?? new Uint8Array(0));
  parts.push(a.target);
  if (a.op === 'edit') {
    const seq = new Uint8Array(4);
    new DataView(seq.buffer).setUint32(0, a.seq ?? 0);
    parts.push(seq);
  }
  if (a.op === 'reply' || a.op === 'edit') {
    const text = enc.encode(a.text ?? '');
    if (text.length > MAX_BODY_BYTES)
      throw new RangeError(`encodeMessageAction: the text is ${text.length} bytes; the limit is ${MAX_BODY_BYTES}`);
    parts.push(text);
  }
  if (a.op === 'reaction') parts.push(enc.encode(a.emoji ?? ''));
  const out = concat(...parts);
  const problem = messageActionProblem(kind, out);
  if (problem !== undefined) throw new RangeError(`encodeMessageAction: ${problem}`);
  return out;
}

/** The problem with a §17.1 body, or undefined when it is well formed (§4 step 3). */
export function messageActionProblem(kind: number, body: Uint8Array): string | undefined {
  const spec = OPS[kind];
  if (!spec) return `kind ${kind} is not a message action`;
  let at = spec.group ? 16 : 0;
  if (body.length < at + TARGET_BYTES)
    return `a ${spec.op} body starts with ${spec.group ? 'a group id and ' : ''}a 16-byte target`;
  at += TARGET_BYTES;
  const rest = body.subarray(at);
  switch (spec.op) {
    case 'delete':
      return rest.length === 0 ? undefined : 'a delete body is the target and nothing else';
    case 'reply':
      return isUtf8(rest) ? undefined : 'a reply text must be valid UTF-8';
    case 'edit': {
      if (rest.length < 4) return 'an edit body has a 4-byte sequence number after the target';
      const seq = new DataView(rest.buffer, rest.byteOffset, 4).getUint32(0);
      if (seq < 1) return 'an edit sequence number is at least 1';
      return isUtf8(rest.subarray(4)) ? undefined : 'an edit text must be valid UTF-8';
    }
    case 'reaction':
      if (rest.length > MAX_REACTION_BYTES) return `a reaction is at most ${MAX_REACTION_BYTES} bytes`;
      if (!isUtf8(rest)) return 'a reaction must be valid UTF-8';
      return REACTION_FORBIDDEN.test(dec.decode(rest))
        ? 'a reaction must not contain control, bidi or line-break characters'
        : undefined;
  }
}

/**
 * Parses a §17.1 body (already checked at §4 step 3). Returned arrays are copies.
 * @throws {CryptoError} `ENVELOPE_MALFORMED` if it is not well formed.
 */
export function parseMessageAction(kind: number, body: Uint8Array): MessageAction {
  const problem = messageActionProblem(kind, body);
  if (problem !== undefined) throw new CryptoError('ENVELOPE_MALFORMED', `malformed envelope: ${problem}`);
  const spec = OPS[kind]!;
  let at = 0;
  const a: MessageAction = { op: spec.op, target: new Uint8Array(0) };
  if (spec.group) {
    a.gid = body.slice(0, 16);
    at = 16;
  }
  a.target = body.slice(at, at + TARGET_BYTES);
  at += TARGET_BYTES;
  if (spec.op === 'edit') {
    a.seq = new DataView(body.buffer, body.byteOffset + at, 4).getUint32(0);
    at += 4;
  }
  if (spec.op === 'reply' || spec.op === 'edit') a.text = dec.decode(body.subarray(at));
  if (spec.op === 'reaction') a.emoji = dec.decode(body.subarray(at));
  return a;
}

/**
 * The reference every member computes alike for a group message (§17.2): the N copies of a group message carry N
 * different envelope ids, but the same kind, sender, signed `ts` and body.
 *
 *   ref = SHA-256("chat/v1/group-msg\0" ‖ kind ‖ len8(from) ‖ from ‖ ts (u64) ‖ body)[0..16]
 *
 * @example groupMessageRef(0x10, 'alice', 1764000000000, body)
 */
export function groupMessageRef(kind: number, from: string, ts: number, body: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigUint64(0, BigInt(ts));
  const f = enc.encode(from);
  const h = createHash('sha256')
    .update(GROUP_MESSAGE_REF_LABEL, 'latin1')
    .update(Uint8Array.of(kind, f.length))
    .update(f)
    .update(head)
    .update(body)
    .digest();
  return new Uint8Array(h.subarray(0, TARGET_BYTES));
}
