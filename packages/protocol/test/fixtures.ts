/**
 * The one table of valid frames that drives the codec and stream-decoder tests: every frame type, both directions,
 * edge sizes. Where `hex` is given it is the expected msgpack body, written out by hand from the msgpack spec
 * (msgpackr writes every map as map 16, `de 00 nn`, and integers above 32 bits are written as int 64, `d3`).
 */
import { Buffer } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import { ERROR_CODES, ProtocolError, type ErrorCode, type Frame, type PrekeyBundleFrame } from '../src/index.js';

export interface Fixture {
  name: string;
  dir: 'client' | 'relay';
  frame: Frame;
  /** Expected body (without the length prefix), lower-case hex. */
  hex?: string;
}

/** n bytes, byte i = (seed + i) mod 256: distinct contents per field so that a swapped field shows. */
export function bytes(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i) & 0xff;
  return b;
}

/** msgpack fixstr of an ASCII string, as hex. */
export function fixstr(s: string): string {
  if (s.length > 31) throw new Error('fixstr is at most 31 bytes');
  return (0xa0 + s.length).toString(16) + Buffer.from(s, 'ascii').toString('hex');
}

const id7 = Buffer.alloc(16, 7);
const u32max = 0xffff_ffff;

/**
 * A `prekey_bundle` for bob (§23.4) with the last-resort keys only; `over` replaces fields, and may break them for the
 * invalid-frame tests (a field set to undefined is left out).
 */
export function prekeyBundle(over: Record<string, unknown> = {}): PrekeyBundleFrame {
  const fields: Record<string, unknown> = {
    t: 'prekey_bundle',
    rid: 2,
    user: 'bob',
    idpk: bytes(32, 1),
    encpk: bytes(32, 2),
    bsig: bytes(64, 3),
    spkId: 1,
    spk: bytes(32, 4),
    spkSig: bytes(64, 5),
    pqType: 3,
    pqId: 0,
    pq: bytes(1184, 8),
    pqSig: bytes(64, 9),
    ...over,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as unknown as PrekeyBundleFrame;
}

export const VALID: Fixture[] = [
  // ── client → relay ──
  {
    name: 'hello, empty agent',
    dir: 'client',
    frame: { t: 'hello', v: 1, agent: '' },
    hex: `de0003${fixstr('t')}${fixstr('hello')}${fixstr('v')}01${fixstr('agent')}a0`,
  },
  {
    name: 'hello, 64-byte agent of 2-byte characters',
    dir: 'client',
    frame: { t: 'hello', v: 1, agent: 'é'.repeat(32) },
  },
  {
    name: 'hello, another version (the relay answers UNSUPPORTED_VERSION)',
    dir: 'client',
    frame: { t: 'hello', v: 2, agent: 'x' },
  },
  {
    name: 'auth recv, 3-byte user',
    dir: 'client',
    frame: {
      t: 'auth',
      user: 'bob',
      idpk: bytes(32, 1),
      encpk: bytes(32, 2),
      bsig: bytes(64, 3),
      mode: 'recv',
      sig: bytes(64, 4),
    },
  },
  {
    name: 'auth send, 32-byte user',
    dir: 'client',
    frame: {
      t: 'auth',
      user: 'a'.repeat(32),
      idpk: bytes(32, 5),
      encpk: bytes(32, 6),
      bsig: bytes(64, 7),
      mode: 'send',
      sig: bytes(64, 8),
    },
  },
  {
    name: 'lookup, rid 0, 1-byte user',
    dir: 'client',
    frame: { t: 'lookup', rid: 0, user: 'a' },
    hex: `de0003${fixstr('t')}${fixstr('lookup')}${fixstr('rid')}00${fixstr('user')}${fixstr('a')}`,
  },
  {
    name: 'lookup, rid 2^32-1, 64-byte user',
    dir: 'client',
    frame: { t: 'lookup', rid: u32max, user: 'z'.repeat(64) },
  },
  {
    name: 'send, smallest envelope (49)',
    dir: 'client',
    frame: { t: 'send', rid: 1, to: 'bob', id: bytes(16, 9), env: bytes(49, 10) },
  },
  {
    name: 'send, largest envelope (65536), 64-byte to, rid 2^32-1',
    dir: 'client',
    frame: { t: 'send', rid: u32max, to: 'q'.repeat(64), id: bytes(16, 11), env: bytes(65_536, 12) },
  },
  {
    name: 'ack, one id',
    dir: 'client',
    frame: { t: 'ack', ids: [id7] },
    hex: `de0002${fixstr('t')}${fixstr('ack')}${fixstr('ids')}91c410${'07'.repeat(16)}`,
  },
  {
    name: 'ack, 256 ids',
    dir: 'client',
    frame: { t: 'ack', ids: Array.from({ length: 256 }, (_, i) => bytes(16, i)) },
  },
  {
    name: 'ping, rid 0',
    dir: 'client',
    frame: { t: 'ping', rid: 0 },
    hex: `de0002${fixstr('t')}${fixstr('ping')}${fixstr('rid')}00`,
  },
  {
    name: 'send, ephemeral',
    dir: 'client',
    frame: { t: 'send', rid: 3, to: 'bob', id: id7, env: bytes(49, 13), eph: true },
  },
  {
    name: 'who',
    dir: 'client',
    frame: { t: 'who', rid: 5 },
    hex: `de0002${fixstr('t')}${fixstr('who')}${fixstr('rid')}05`,
  },
  {
    name: 'ping, rid 2^32-1',
    dir: 'client',
    frame: { t: 'ping', rid: u32max },
    hex: `de0002${fixstr('t')}${fixstr('ping')}${fixstr('rid')}ceffffffff`,
  },

  // ── relay → client ──
  {
    name: 'challenge',
    dir: 'relay',
    frame: { t: 'challenge', v: 1, relay: bytes(32, 20), nonce: bytes(32, 21), maxFrame: 131_072, maxEnvelope: 65_536 },
  },
  {
    name: 'welcome recv, registered',
    dir: 'relay',
    frame: { t: 'welcome', user: 'alice', mode: 'recv', registered: true },
    hex:
      'de0004' +
      fixstr('t') +
      fixstr('welcome') +
      fixstr('user') +
      fixstr('alice') +
      fixstr('mode') +
      fixstr('recv') +
      fixstr('registered') +
      'c3',
  },
  {
    name: 'welcome send, not registered',
    dir: 'relay',
    frame: { t: 'welcome', user: 'bob', mode: 'send', registered: false },
  },
  {
    name: 'bundle',
    dir: 'relay',
    frame: { t: 'bundle', rid: 7, user: 'carol', idpk: bytes(32, 30), encpk: bytes(32, 31), bsig: bytes(64, 32) },
  },
  {
    name: 'sent, rid 2^32-1',
    dir: 'relay',
    frame: { t: 'sent', rid: u32max, id: id7 },
    hex: `de0003${fixstr('t')}${fixstr('sent')}${fixstr('rid')}ceffffffff${fixstr('id')}c410${'07'.repeat(16)}`,
  },
  {
    name: 'msg, a real timestamp (1700000000000 = 0x18b_cfe56800, over 32 bits)',
    dir: 'relay',
    frame: { t: 'msg', id: id7, env: Buffer.alloc(49), ts: 1_700_000_000_000 },
    hex:
      'de0004' +
      fixstr('t') +
      fixstr('msg') +
      fixstr('id') +
      'c410' +
      '07'.repeat(16) +
      fixstr('env') +
      'c431' +
      '00'.repeat(49) +
      fixstr('ts') +
      'd30000018bcfe56800',
  },
  { name: 'msg, ts 0', dir: 'relay', frame: { t: 'msg', id: bytes(16, 40), env: bytes(100, 41), ts: 0 } },
  {
    name: 'msg, largest envelope, ts 2^53-1',
    dir: 'relay',
    frame: { t: 'msg', id: bytes(16, 42), env: bytes(65_536, 43), ts: Number.MAX_SAFE_INTEGER },
  },
  {
    name: 'msg, ephemeral',
    dir: 'relay',
    frame: { t: 'msg', id: bytes(16, 44), env: bytes(60, 45), ts: 1, eph: true },
  },
  { name: 'online, nobody', dir: 'relay', frame: { t: 'online', rid: 1, users: [] } },
  {
    name: 'online, two users',
    dir: 'relay',
    frame: { t: 'online', rid: 2, users: ['alice', 'bob'] },
    hex:
      'de0003' +
      fixstr('t') +
      fixstr('online') +
      fixstr('rid') +
      '02' +
      fixstr('users') +
      '92' +
      fixstr('alice') +
      fixstr('bob'),
  },
  {
    name: 'online, 1024 users of 32 bytes',
    dir: 'relay',
    frame: { t: 'online', rid: 3, users: Array.from({ length: 1024 }, (_, i) => `u${String(i).padStart(31, '0')}`) },
  },
  { name: 'synced', dir: 'relay', frame: { t: 'synced' }, hex: `de0001${fixstr('t')}${fixstr('synced')}` },
  { name: 'pong, rid 0', dir: 'relay', frame: { t: 'pong', rid: 0 } },
  {
    name: 'auth with an invite',
    dir: 'client',
    frame: {
      t: 'auth',
      user: 'carol',
      idpk: bytes(32, 50),
      encpk: bytes(32, 51),
      bsig: bytes(64, 52),
      mode: 'send',
      sig: bytes(64, 53),
      invite: 'k'.repeat(64),
    },
  },
  { name: 'admin users, first page', dir: 'client', frame: { t: 'admin', rid: 1, op: 'users' } },
  { name: 'admin users, next page', dir: 'client', frame: { t: 'admin', rid: 2, op: 'users', after: 'bob' } },
  {
    name: 'admin kick with a reason',
    dir: 'client',
    frame: { t: 'admin', rid: 3, op: 'kick', user: 'bob', reason: 'spam' },
  },
  { name: 'keepalive', dir: 'relay', frame: { t: 'keepalive' } },
  {
    name: 'blob_new',
    dir: 'client',
    frame: { t: 'blob_new', rid: 1, bid: bytes(16, 3), to: 'bob', size: 2 ** 32 + 5, chunks: 65537 },
  },
  {
    name: 'blob_put, full chunk',
    dir: 'client',
    frame: { t: 'blob_put', rid: 2, bid: bytes(16, 3), n: 0, data: bytes(65552, 1) },
  },
  {
    name: 'blob_put, empty final chunk',
    dir: 'client',
    frame: { t: 'blob_put', rid: 2, bid: bytes(16, 3), n: 0, data: bytes(16, 1) },
  },
  { name: 'blob_get', dir: 'client', frame: { t: 'blob_get', rid: 3, bid: bytes(16, 3), from: 7 } },
  {
    name: 'blob_done declined',
    dir: 'client',
    frame: { t: 'blob_done', rid: 4, bid: bytes(16, 3), outcome: 'declined' },
  },
  {
    name: 'blob_done received',
    dir: 'client',
    frame: { t: 'blob_done', rid: 4, bid: bytes(16, 3), outcome: 'received' },
  },
  // ── prekeys (§23) ──
  {
    name: 'prekey_put, one of each type, reset',
    dir: 'client',
    frame: {
      t: 'prekey_put',
      rid: 9,
      types: [1, 2, 3, 4],
      ids: [0, 1, u32max, 7],
      keys: [bytes(32, 1), bytes(32, 2), bytes(1184, 3), bytes(1184, 4)],
      sigs: [bytes(64, 5), bytes(64, 6), bytes(64, 7), bytes(64, 8)],
      reset: true,
    },
  },
  {
    name: 'prekey_put, empty (asks for the counts)',
    dir: 'client',
    frame: { t: 'prekey_put', rid: 1, types: [], ids: [], keys: [], sigs: [] },
    hex: `de0006${fixstr('t')}${fixstr('prekey_put')}${fixstr('rid')}01${fixstr('types')}90${fixstr('ids')}90${fixstr('keys')}90${fixstr('sigs')}90`,
  },
  { name: 'prekey_get', dir: 'client', frame: { t: 'prekey_get', rid: 2, user: 'bob' } },
  {
    name: 'prekey_count, answer with signed key ids',
    dir: 'relay',
    frame: { t: 'prekey_count', rid: 9, opk: 100, pqopk: 25, spkId: 1, pqspkId: u32max },
  },
  {
    name: 'prekey_count, unsolicited, nothing stored',
    dir: 'relay',
    frame: { t: 'prekey_count', opk: 0, pqopk: 0 },
    hex: `de0003${fixstr('t')}${fixstr('prekey_count')}${fixstr('opk')}00${fixstr('pqopk')}00`,
  },
  {
    name: 'prekey_bundle, one-time keys of both kinds',
    dir: 'relay',
    frame: prekeyBundle({ opkId: 2, opk: bytes(32, 6), opkSig: bytes(64, 7), pqType: 4, pqId: 3 }),
  },
  { name: 'prekey_bundle, last resort only', dir: 'relay', frame: prekeyBundle({ spkId: u32max }) },
  { name: 'blob_ok', dir: 'relay', frame: { t: 'blob_ok', rid: 1, bid: bytes(16, 3), have: u32max } },
  { name: 'blob_data', dir: 'relay', frame: { t: 'blob_data', rid: 3, bid: bytes(16, 3), n: 7, data: bytes(100, 2) } },
  {
    name: 'admin_users, two accounts',
    dir: 'relay',
    frame: {
      t: 'admin_users',
      rid: 1,
      names: ['alice', 'bob'],
      created: [1, 2],
      online: [true, false],
      banned: [false, true],
      depth: [0, 3],
      bytes: [0, 999],
      more: false,
    },
  },
  {
    name: 'admin_users, empty page',
    dir: 'relay',
    frame: {
      t: 'admin_users',
      rid: 1,
      names: [],
      created: [],
      online: [],
      banned: [],
      depth: [],
      bytes: [],
      more: false,
    },
  },
  {
    name: 'admin_stats',
    dir: 'relay',
    frame: {
      t: 'admin_stats',
      rid: 9,
      connections: 3,
      online: 2,
      users: 10,
      queued: 5,
      queuedBytes: 500,
      uptimeMs: 12345,
    },
  },
  { name: 'admin_done invite', dir: 'relay', frame: { t: 'admin_done', rid: 4, op: 'invite', invite: 'abcd' } },
  { name: 'admin_done ban', dir: 'relay', frame: { t: 'admin_done', rid: 5, op: 'ban' } },
  {
    name: 'fanout, two recipients',
    dir: 'client',
    frame: {
      t: 'fanout',
      rid: 7,
      to: ['alice', 'bob'],
      ids: [bytes(16, 1), bytes(16, 2)],
      envs: [bytes(49, 3), bytes(60, 4)],
    },
  },
  { name: 'room list', dir: 'client', frame: { t: 'room', rid: 8, op: 'list' } },
  { name: 'room join', dir: 'client', frame: { t: 'room', rid: 9, op: 'join', room: 'general' } },
  { name: 'fanout_sent', dir: 'relay', frame: { t: 'fanout_sent', rid: 7, codes: ['', 'UNKNOWN_USER'] } },
  { name: 'rooms', dir: 'relay', frame: { t: 'rooms', rid: 8, names: ['general', 'random'] } },
  { name: 'room_members', dir: 'relay', frame: { t: 'room_members', rid: 9, room: 'general', users: ['alice'] } },
  {
    name: 'err without rid, empty msg',
    dir: 'relay',
    frame: { t: 'err', code: 'BAD_FRAME', msg: '', fatal: true },
    hex:
      'de0004' +
      fixstr('t') +
      fixstr('err') +
      fixstr('code') +
      fixstr('BAD_FRAME') +
      fixstr('msg') +
      'a0' +
      fixstr('fatal') +
      'c3',
  },
  {
    name: 'err with rid 2^32-1, 256-byte msg, fatal inconsistent with §10 (allowed)',
    dir: 'relay',
    frame: { t: 'err', rid: u32max, code: 'UNKNOWN_USER', msg: `${'€'.repeat(85)}x`, fatal: true },
  },
  ...(Object.keys(ERROR_CODES) as ErrorCode[]).map(
    (code, i): Fixture => ({
      name: `err ${code}`,
      dir: 'relay',
      frame: { t: 'err', rid: i, code, msg: `because ${code}`, fatal: ERROR_CODES[code].fatal },
    }),
  ),
];

/** Frames as comparable plain data: bytes become `bin:<hex>` strings, so Buffer vs Uint8Array does not matter. */
export function plain(x: unknown): unknown {
  if (isUint8Array(x)) return `bin:${Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex')}`;
  if (Array.isArray(x)) return x.map(plain);
  if (typeof x === 'object' && x !== null) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  }
  return x;
}

/** The byte fields of a frame, at any depth. */
export function byteFields(x: unknown): Uint8Array[] {
  if (isUint8Array(x)) return [x];
  if (Array.isArray(x)) return x.flatMap(byteFields);
  if (typeof x === 'object' && x !== null) return Object.values(x).flatMap(byteFields);
  return [];
}

/** A copy of `frame` with every byte field turned into another kind of Uint8Array by `to`. */
export function mapBytes<T>(frame: T, to: (b: Uint8Array) => Uint8Array): T {
  const walk = (x: unknown): unknown => {
    if (isUint8Array(x)) return to(x);
    if (Array.isArray(x)) return x.map(walk);
    if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    return x;
  };
  return walk(frame) as T;
}

/** Prefixes a body with its u32be length. */
export function framed(body: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Runs `f` and returns the ProtocolError it throws; fails the test if it returns or throws anything else. */
export function protocolError(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw new Error(`expected a ProtocolError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a ProtocolError, but nothing was thrown');
}
