/**
 * The one shape check for frames, used on both sides of the codec (PROTOCOL.md §5, §6): `decode*Frame` runs it on
 * whatever msgpackr produced, `encodeFrame` on what the caller handed in. A frame is a plain object with a known `t`,
 * every required field present with exactly the listed type and bound, and no other field. The result is always a
 * fresh object built from the checked values, never the input, so nothing the input carried (prototype tricks,
 * accessors, extra properties) can leak through.
 */
import { Buffer } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import {
  MAX_ACK_IDS,
  MAX_ADMIN_PAGE,
  MAX_AGENT_LENGTH,
  MAX_INVITE_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_QUERY_NAME_BYTES,
  MAX_RID,
  MAX_ONLINE_USERS,
  MAX_USERNAME_BYTES,
  MESSAGE_ID_BYTES,
  MIN_ENVELOPE_BYTES,
  MIN_USERNAME_BYTES,
  NONCE_BYTES,
  PUBLIC_KEY_BYTES,
  MAX_FANOUT,
  MAX_ROOMS,
  MAX_ROOM_MEMBERS,
  RELAY_ID_BYTES,
  SIGNATURE_BYTES,
  BLOB_ID_BYTES,
  BLOB_MIN_CHUNK_BYTES,
  BLOB_MAX_CHUNK_BYTES,
  MAX_BLOB_CHUNKS,
  MAX_PREKEY_BATCH,
  MLKEM_PREKEY_BYTES,
  X25519_PREKEY_BYTES,
} from './constants.js';
import { ProtocolError, isErrorCode } from './errors.js';
import type { FrameType } from './frames.js';
import { hasLoneSurrogate, utf8Length } from './utf8.js';

/** How checked values are carried into the result: decoding copies bytes, encoding prepares values for msgpackr. */
export interface Normalize {
  bytes(b: Uint8Array): Uint8Array;
  int(n: number): number | bigint;
}

/** Decoded byte fields are fresh copies: a frame never aliases (or pins) the body it came from. */
export const DECODE: Normalize = { bytes: (b) => Buffer.from(b), int: (n) => n };

/**
 * For msgpackr: a Buffer view of every byte field (msgpackr writes Buffers as `bin` whatever the subclass or options),
 * and integers over 32 bits as BigInt, which msgpackr writes as int 64 (it writes such a `number` as float 64).
 */
export const ENCODE: Normalize = {
  bytes: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  int: (n) => (n > 0xffff_ffff ? BigInt(n) : n),
};

/** Checks one field value; returns the value to put into the result, or a description of what was expected. */
type Field = (v: unknown, n: Normalize) => { ok: unknown } | { expected: string };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A non-negative safe integer ≤ max. msgpackr decodes int 64 / uint 64 as bigint; those count if they fit. */
function int(max = Number.MAX_SAFE_INTEGER): Field {
  const expected = `an integer 0..${max}`;
  return (v, n) => {
    if (typeof v === 'bigint') v = v >= 0n && v <= MAX_SAFE ? Number(v) : -1;
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max ? { ok: n.int(v) } : { expected };
  };
}

/** str(min..max), bounds in UTF-8 bytes; a string with a lone surrogate has no UTF-8 form and is refused. */
function str(min: number, max: number): Field {
  const expected = `str(${min}..${max})`;
  return (v) => {
    if (typeof v !== 'string' || v.length > max || hasLoneSurrogate(v)) return { expected }; // bytes ≥ UTF-16 units
    const bytes = utf8Length(v);
    return bytes >= min && bytes <= max ? { ok: v } : { expected };
  };
}

/** bin(min..max); bin(n) when max is omitted. */
function bin(min: number, max = min): Field {
  const expected = min === max ? `bin(${min})` : `bin(${min}..${max})`;
  return (v, n) => (isUint8Array(v) && v.length >= min && v.length <= max ? { ok: n.bytes(v) } : { expected });
}

const outcome: Field = (v) =>
  v === 'received' || v === 'declined' ? { ok: v } : { expected: '"received" or "declined"' };

const bool: Field = (v) => (typeof v === 'boolean' ? { ok: v } : { expected: 'a bool' });

const mode: Field = (v) => (v === 'recv' || v === 'send' ? { ok: v } : { expected: '"recv" or "send"' });

const ADMIN_OPS = ['users', 'kick', 'ban', 'unban', 'invite', 'shutdown', 'stats'];
const adminOp: Field = (v) =>
  typeof v === 'string' && ADMIN_OPS.includes(v) ? { ok: v } : { expected: `one of ${ADMIN_OPS.join(', ')}` };

const ROOM_OPS = ['list', 'join', 'leave', 'members'];
const roomOp: Field = (v) =>
  typeof v === 'string' && ROOM_OPS.includes(v) ? { ok: v } : { expected: `one of ${ROOM_OPS.join(', ')}` };

const errorCode: Field = (v) => (isErrorCode(v) ? { ok: v } : { expected: 'an error code of §10' });

function arrayOf(min: number, max: number, item: Field): Field {
  const expected = `an array of ${min}..${max}`;
  return (v, n) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) return { expected };
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = item(v[i], n);
      if (!('ok' in r)) return { expected: `${expected}, each ${r.expected}` };
      out.push(r.ok);
    }
    return { ok: out };
  };
}

interface Schema {
  readonly dir: 'client' | 'relay';
  readonly fields: Readonly<Record<string, Field>>;
  readonly optional?: readonly string[];
  /** A rule between fields, run on the checked result: a description of what is wrong, or undefined. */
  readonly refine?: (frame: Readonly<Record<string, unknown>>) => string | undefined;
}

const rid = int(MAX_RID);
const messageId = bin(MESSAGE_ID_BYTES);
const envelope = bin(MIN_ENVELOPE_BYTES, MAX_ENVELOPE_BYTES);
const key = bin(PUBLIC_KEY_BYTES);
const signature = bin(SIGNATURE_BYTES);
const username = str(MIN_USERNAME_BYTES, MAX_USERNAME_BYTES);
/** §3.1's pattern (crypto's USERNAME_PATTERN; the protocol package does not depend on crypto). */
const USERNAME_PATTERN = /^[a-z][a-z0-9_-]{2,31}$/;
const validUsername: Field = (v) =>
  typeof v === 'string' && USERNAME_PATTERN.test(v) ? { ok: v } : { expected: 'a username (§3.1)' };
const queryName = str(1, MAX_QUERY_NAME_BYTES);
const blobId = bin(BLOB_ID_BYTES);
const blobChunk = bin(BLOB_MIN_CHUNK_BYTES, BLOB_MAX_CHUNK_BYTES);

// Prekeys (§23.2). A key's exact length depends on its type, which `refine` checks across the parallel arrays.
const u32 = int(0xffff_ffff);
const prekeyType: Field = (v, n) => {
  const r = int(4)(v, n);
  return 'ok' in r && r.ok !== 0 ? r : { expected: 'a prekey type 1..4' };
};
const pqType: Field = (v, n) => {
  const r = int(4)(v, n);
  return 'ok' in r && (r.ok === 3 || r.ok === 4) ? r : { expected: '3 or 4' };
};
const x25519Prekey = bin(X25519_PREKEY_BYTES);
const mlkemPrekey = bin(MLKEM_PREKEY_BYTES);
const prekeyLength = (type: unknown) => (type === 1 || type === 2 ? X25519_PREKEY_BYTES : MLKEM_PREKEY_BYTES);

function prekeyBatch(f: Readonly<Record<string, unknown>>): string | undefined {
  const types = f.types as number[];
  const ids = f.ids as unknown[];
  const keys = f.keys as Uint8Array[];
  const sigs = f.sigs as unknown[];
  if (ids.length !== types.length || keys.length !== types.length || sigs.length !== types.length) {
    return `types, ids, keys and sigs must have one length, got ${types.length}, ${ids.length}, ${keys.length}, ${sigs.length}`;
  }
  for (let i = 0; i < types.length; i++) {
    if (keys[i]!.length !== prekeyLength(types[i])) {
      return `keys[${i}] of type ${types[i]} must be ${prekeyLength(types[i])} bytes, got ${keys[i]!.length}`;
    }
  }
  return undefined;
}

function prekeyBundle(f: Readonly<Record<string, unknown>>): string | undefined {
  const present = ['opkId', 'opk', 'opkSig'].filter((k) => Object.hasOwn(f, k)).length;
  return present === 0 || present === 3 ? undefined : 'opkId, opk and opkSig must be all present or all absent';
}

/** §6.1 and §6.2, field by field, in the order the encoder writes them (after `t`). */
const SCHEMAS = new Map<FrameType, Schema>([
  ['hello', { dir: 'client', fields: { v: int(), agent: str(0, MAX_AGENT_LENGTH) } }],
  [
    'auth',
    {
      dir: 'client',
      fields: {
        user: username,
        idpk: key,
        encpk: key,
        bsig: signature,
        mode,
        sig: signature,
        invite: str(1, MAX_INVITE_BYTES),
      },
      optional: ['invite'],
    },
  ],
  ['lookup', { dir: 'client', fields: { rid, user: queryName } }],
  [
    'send',
    { dir: 'client', fields: { rid, to: queryName, id: messageId, env: envelope, eph: bool }, optional: ['eph'] },
  ],
  ['ack', { dir: 'client', fields: { ids: arrayOf(1, MAX_ACK_IDS, messageId) } }],
  ['ping', { dir: 'client', fields: { rid } }],
  ['who', { dir: 'client', fields: { rid } }],
  [
    'admin',
    {
      dir: 'client',
      fields: { rid, op: adminOp, user: queryName, after: queryName, reason: str(0, MAX_ERROR_MESSAGE_BYTES - 64) },
      optional: ['user', 'after', 'reason'],
    },
  ],
  [
    'fanout',
    {
      dir: 'client',
      fields: {
        rid,
        to: arrayOf(1, MAX_FANOUT, queryName),
        ids: arrayOf(1, MAX_FANOUT, messageId),
        envs: arrayOf(1, MAX_FANOUT, envelope),
      },
    },
  ],
  ['room', { dir: 'client', fields: { rid, op: roomOp, room: str(1, 32) }, optional: ['room'] }],
  ['fanout_sent', { dir: 'relay', fields: { rid, codes: arrayOf(1, MAX_FANOUT, str(0, 32)) } }],
  ['rooms', { dir: 'relay', fields: { rid, names: arrayOf(0, MAX_ROOMS, str(1, 32)) } }],
  ['room_members', { dir: 'relay', fields: { rid, room: str(1, 32), users: arrayOf(0, MAX_ROOM_MEMBERS, username) } }],
  [
    'blob_new',
    { dir: 'client', fields: { rid, bid: blobId, to: queryName, size: int(), chunks: int(MAX_BLOB_CHUNKS) } },
  ],
  ['blob_put', { dir: 'client', fields: { rid, bid: blobId, n: int(MAX_BLOB_CHUNKS), data: blobChunk } }],
  ['blob_get', { dir: 'client', fields: { rid, bid: blobId, from: int(MAX_BLOB_CHUNKS) } }],
  ['blob_done', { dir: 'client', fields: { rid, bid: blobId, outcome } }],
  [
    'prekey_put',
    {
      dir: 'client',
      fields: {
        rid,
        types: arrayOf(0, MAX_PREKEY_BATCH, prekeyType),
        ids: arrayOf(0, MAX_PREKEY_BATCH, u32),
        keys: arrayOf(0, MAX_PREKEY_BATCH, bin(X25519_PREKEY_BYTES, MLKEM_PREKEY_BYTES)),
        sigs: arrayOf(0, MAX_PREKEY_BATCH, signature),
        reset: bool,
      },
      optional: ['reset'],
      refine: prekeyBatch,
    },
  ],
  ['prekey_get', { dir: 'client', fields: { rid, user: queryName } }],
  [
    'prekey_count',
    {
      dir: 'relay',
      fields: { rid, opk: int(), pqopk: int(), spkId: u32, pqspkId: u32 },
      optional: ['rid', 'spkId', 'pqspkId'],
    },
  ],
  [
    'prekey_bundle',
    {
      dir: 'relay',
      fields: {
        rid,
        user: username,
        idpk: key,
        encpk: key,
        bsig: signature,
        spkId: u32,
        spk: x25519Prekey,
        spkSig: signature,
        opkId: u32,
        opk: x25519Prekey,
        opkSig: signature,
        pqType,
        pqId: u32,
        pq: mlkemPrekey,
        pqSig: signature,
      },
      optional: ['opkId', 'opk', 'opkSig'],
      refine: prekeyBundle,
    },
  ],
  ['blob_ok', { dir: 'relay', fields: { rid, bid: blobId, have: int(MAX_BLOB_CHUNKS) } }],
  ['blob_data', { dir: 'relay', fields: { rid, bid: blobId, n: int(MAX_BLOB_CHUNKS), data: blobChunk } }],
  [
    'challenge',
    {
      dir: 'relay',
      fields: { v: int(), relay: bin(RELAY_ID_BYTES), nonce: bin(NONCE_BYTES), maxFrame: int(), maxEnvelope: int() },
    },
  ],
  ['welcome', { dir: 'relay', fields: { user: username, mode, registered: bool } }],
  ['bundle', { dir: 'relay', fields: { rid, user: username, idpk: key, encpk: key, bsig: signature } }],
  ['sent', { dir: 'relay', fields: { rid, id: messageId } }],
  ['msg', { dir: 'relay', fields: { id: messageId, env: envelope, ts: int(), eph: bool }, optional: ['eph'] }],
  ['synced', { dir: 'relay', fields: {} }],
  ['pong', { dir: 'relay', fields: { rid } }],
  ['online', { dir: 'relay', fields: { rid, users: arrayOf(0, MAX_ONLINE_USERS, username) } }],
  ['keepalive', { dir: 'relay', fields: {} }],
  [
    'admin_users',
    {
      dir: 'relay',
      fields: {
        rid,
        names: arrayOf(0, MAX_ADMIN_PAGE, validUsername),
        created: arrayOf(0, MAX_ADMIN_PAGE, int()),
        online: arrayOf(0, MAX_ADMIN_PAGE, bool),
        banned: arrayOf(0, MAX_ADMIN_PAGE, bool),
        depth: arrayOf(0, MAX_ADMIN_PAGE, int()),
        bytes: arrayOf(0, MAX_ADMIN_PAGE, int()),
        more: bool,
      },
    },
  ],
  [
    'admin_stats',
    {
      dir: 'relay',
      fields: {
        rid,
        connections: int(),
        online: int(),
        users: int(),
        queued: int(),
        queuedBytes: int(),
        uptimeMs: int(),
        relays: int(),
        receiving: int(),
      },
      optional: ['relays', 'receiving'],
    },
  ],
  [
    'admin_done',
    { dir: 'relay', fields: { rid, op: adminOp, invite: str(1, MAX_INVITE_BYTES) }, optional: ['invite'] },
  ],
  [
    'err',
    {
      dir: 'relay',
      fields: { rid, code: errorCode, msg: str(0, MAX_ERROR_MESSAGE_BYTES), fatal: bool },
      optional: ['rid'],
    },
  ],
]);

/** Names input-controlled text in an error message: quoted, escaped, short. */
function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 40 ? `${q.slice(0, 37)}…"` : q;
}

function describe(v: unknown): string {
  if (v === null) return 'nil';
  if (isUint8Array(v)) return `bin(${v.length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `str(${utf8Length(v)})`;
  if (typeof v === 'number' || typeof v === 'bigint') return `${typeof v} ${v}`;
  return typeof v;
}

function bad(message: string): never {
  throw new ProtocolError('BAD_FRAME', message);
}

/** Each schema's fields as a list, made once: a frame decoded no longer builds one (every `msg` of a drain did). */
const FIELD_LISTS = new WeakMap<Schema, readonly (readonly [string, Field])[]>();
function fieldsOf(schema: Schema): readonly (readonly [string, Field])[] {
  let list = FIELD_LISTS.get(schema);
  if (list === undefined) {
    list = Object.entries(schema.fields);
    FIELD_LISTS.set(schema, list);
  }
  return list;
}

/**
 * Checks that `x` is a frame of direction `dir` ('any' for both) and returns a fresh copy normalised by `n`.
 * @throws {ProtocolError} `BAD_FRAME`, with a message naming the frame type and field.
 */
export function validateFrame(x: unknown, dir: 'client' | 'relay' | 'any', n: Normalize): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return bad(`a frame is a map, got ${describe(x)}`);
  const proto: unknown = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return bad('a frame is a plain map, got another kind of object');
  const obj = x as Record<string, unknown>;

  const t = Object.hasOwn(obj, 't') ? obj.t : undefined;
  if (typeof t !== 'string') return bad(`a frame needs a str field t, got ${describe(t)}`);
  const schema = SCHEMAS.get(t as FrameType);
  if (schema === undefined || (dir !== 'any' && schema.dir !== dir)) {
    return bad(`unknown ${dir === 'any' ? '' : `${dir} `}frame type ${quote(t)}`);
  }

  for (const k of Reflect.ownKeys(obj)) {
    if (typeof k !== 'string') return bad(`${t}: a symbol key`);
    if (k !== 't' && !Object.hasOwn(schema.fields, k)) return bad(`${t}: unexpected field ${quote(k)}`);
  }

  const out: Record<string, unknown> = { t };
  for (const [name, field] of fieldsOf(schema)) {
    const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
    if (v === undefined) {
      if (schema.optional?.includes(name)) continue;
      return bad(`${t}: missing field ${name}`);
    }
    const r = field(v, n);
    if (!('ok' in r)) return bad(`${t}.${name}: expected ${r.expected}, got ${describe(v)}`);
    out[name] = r.ok;
  }
  const why = schema.refine?.(out);
  if (why !== undefined) return bad(`${t}: ${why}`);
  return out;
}
