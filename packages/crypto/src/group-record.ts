/**
 * Group state records and the bodies of the group and room kinds (PROTOCOL.md §15.1, §15.3): byte layout, strict
 * parser. Pure functions; what a record *means* (who may make which change) is checked by the client (§15.4).
 */
import { isUtf8 } from 'node:buffer';
import { concat } from './bytes.js';
import { USERNAME_PATTERN } from './bundle.js';
import { CryptoError } from './errors.js';

/** A group id is 16 random bytes (§15.1). */
export const GROUP_ID_BYTES = 16;
/** Most members of a group (§15.3). */
export const MAX_GROUP_MEMBERS = 1024;
/** Longest group name in UTF-8 bytes (§15.3). */
export const MAX_GROUP_NAME_BYTES = 64;
/**
 * What a group name MUST NOT contain (§15.3): C0 and C1 controls and DEL (terminal escape sequences), bidi
 * overrides, embeddings, isolates and marks, line and paragraph separators, every default-ignorable and format (`Cf`)
 * character (zero-width space, joiners, variation selectors, BOM, soft hyphen, tags, …), the blank fillers U+115F,
 * U+1160, U+3164, U+FFA0 and U+2800, and more than four combining marks in a row. A name is shown to every member;
 * none of these has a place in one. The same classes the client's `inertLine` escapes.
 */
// U+FE0F (emoji presentation) stays allowed: names such as "team ❤️" were valid before and are stored by clients;
// it draws nothing on its own, and inertLine shows it as an escape in a name anyway.
export const GROUP_NAME_FORBIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\p{Cf}\u115f\u1160\u3164\uffa0\u2800]|(?!\ufe0f)\p{Default_Ignorable_Code_Point}|\p{M}{5}/u;

/** A room name (§15.6). */
export const ROOM_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

export const GROUP_OPS = ['create', 'add', 'remove', 'leave', 'rename'] as const;
export type GroupOp = (typeof GROUP_OPS)[number];

export interface GroupMember {
  user: string;
  admin: boolean;
}

/** The whole state of a group after one change, and the change (§15.3). */
export interface GroupRecord {
  gid: Uint8Array;
  version: number;
  op: GroupOp;
  /** The user added, removed or leaving; `""` for create and rename. */
  subject: string;
  name: string;
  /** Sorted by username, strictly increasing. */
  members: GroupMember[];
}

const enc = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the string: the default drops it, so the checks below would not see it.
const dec = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * `gid ‖ version (u32) ‖ op (u8) ‖ len8(subject) ‖ subject ‖ len8(name) ‖ name ‖ count (u16) ‖ count × (role ‖ len8(user) ‖ user)`.
 * Members are written sorted. @throws {RangeError} on anything `parseGroupRecord` would refuse.
 */
export function encodeGroupRecord(r: GroupRecord): Uint8Array {
  const members = [...r.members].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  const head = new Uint8Array(GROUP_ID_BYTES + 5);
  head.set(r.gid.subarray(0, GROUP_ID_BYTES));
  const dv = new DataView(head.buffer);
  dv.setUint32(GROUP_ID_BYTES, r.version);
  head[GROUP_ID_BYTES + 4] = GROUP_OPS.indexOf(r.op) + 1;
  const subject = enc.encode(r.subject);
  const name = enc.encode(r.name);
  const count = new Uint8Array(2);
  new DataView(count.buffer).setUint16(0, members.length);
  const parts: Uint8Array[] = [head, Uint8Array.of(subject.length), subject, Uint8Array.of(name.length), name, count];
  for (const m of members) {
    const u = enc.encode(m.user);
    parts.push(Uint8Array.of(m.admin ? 1 : 0, u.length), u);
  }
  const out = concat(...parts);
  const problem = groupRecordProblem(out);
  if (typeof problem === 'string') throw new RangeError(`encodeGroupRecord: ${problem}`);
  return out;
}

/** Parses a record with exact lengths (§15.3). @throws {CryptoError} `ENVELOPE_MALFORMED`. */
export function parseGroupRecord(body: Uint8Array): GroupRecord {
  const r = groupRecordProblem(body);
  if (typeof r === 'string') throw new CryptoError('ENVELOPE_MALFORMED', `malformed envelope: ${r}`);
  return r;
}

/** The parsed record, or a description of what is wrong with it. */
export function groupRecordProblem(body: Uint8Array): GroupRecord | string {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  const need = (n: number) => at + n <= body.length;
  if (!need(GROUP_ID_BYTES + 5)) return 'a group record is too short';
  const gid = body.slice(0, GROUP_ID_BYTES);
  const version = dv.getUint32(GROUP_ID_BYTES);
  const opByte = body[GROUP_ID_BYTES + 4]!;
  at = GROUP_ID_BYTES + 5;
  if (version < 1) return 'a group record version must be at least 1';
  const op = GROUP_OPS[opByte - 1];
  if (op === undefined) return `unknown group op ${opByte}`;
  const str = (): string | undefined => {
    if (!need(1)) return undefined;
    const n = body[at++]!;
    if (!need(n)) return undefined;
    const b = body.subarray(at, at + n);
    at += n;
    return isUtf8(b) ? dec.decode(b) : undefined;
  };
  const subject = str();
  if (subject === undefined) return 'group record subject runs past the end';
  if ((op === 'create' || op === 'rename') !== (subject === '')) return `a ${op} record has the wrong subject`;
  if (subject !== '' && !USERNAME_PATTERN.test(subject)) return 'invalid username as group record subject';
  const name = str();
  if (name === undefined || name.length === 0 || enc.encode(name).length > MAX_GROUP_NAME_BYTES)
    return 'a group name must be 1 to 64 bytes of UTF-8';
  if (GROUP_NAME_FORBIDDEN.test(name)) return 'a group name must not contain control, bidi or invisible characters';
  if (!need(2)) return 'group record member count runs past the end';
  const count = dv.getUint16(at);
  at += 2;
  if (count < 1 || count > MAX_GROUP_MEMBERS) return `a group has 1 to ${MAX_GROUP_MEMBERS} members, got ${count}`;
  const members: GroupMember[] = [];
  for (let i = 0; i < count; i++) {
    if (!need(1)) return 'group record members run past the end';
    const role = body[at++]!;
    if (role > 1) return `unknown member role ${role}`;
    const user = str();
    if (user === undefined || !USERNAME_PATTERN.test(user)) return 'invalid username among group members';
    if (members.length > 0 && !(members[members.length - 1]!.user < user))
      return 'group members must be sorted and unique';
    members.push({ user, admin: role === 1 });
  }
  if (at !== body.length) return 'trailing bytes after a group record';
  if (!members.some((m) => m.admin)) return 'a group needs at least one admin';
  return { gid, version, op, subject, name, members };
}

/** `gid ‖ text` (§15.1). */
export function encodeGroupText(gid: Uint8Array, text: string): Uint8Array {
  return concat(gid.subarray(0, GROUP_ID_BYTES), enc.encode(text));
}

/** `len8(room) ‖ room ‖ text` (§15.1). */
export function encodeRoomText(room: string, text: string): Uint8Array {
  const r = enc.encode(room);
  return concat(Uint8Array.of(r.length), r, enc.encode(text));
}

/** Splits a checked room text body. */
export function parseRoomText(body: Uint8Array): { room: string; text: string } {
  const n = body[0] ?? 0;
  return { room: dec.decode(body.subarray(1, 1 + n)), text: dec.decode(body.subarray(1 + n)) };
}

/** The §15.1 body rules for kinds 0x10–0x12; a description of the violation, or undefined. */
export function groupBodyProblem(kind: number, body: Uint8Array): string | undefined {
  if (kind === 0x10) {
    if (body.length < GROUP_ID_BYTES) return 'a group text body starts with a 16-byte group id';
    return isUtf8(body.subarray(GROUP_ID_BYTES)) ? undefined : 'a group text must be valid UTF-8';
  }
  if (kind === 0x11) {
    const r = groupRecordProblem(body);
    return typeof r === 'string' ? r : undefined;
  }
  const n = body[0];
  if (n === undefined || n + 1 > body.length) return 'a room text body starts with len8(room) and the room';
  const room = dec.decode(body.subarray(1, 1 + n));
  if (!ROOM_PATTERN.test(room)) return 'invalid room name in a room text';
  return isUtf8(body.subarray(1 + n)) ? undefined : 'a room text must be valid UTF-8';
}
