/** Bodies that are not valid frames (PROTOCOL.md §5, §6): every one must be BAD_FRAME, never another error. */
import { Buffer } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import { Packr, Unpackr, pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { bytes, fixstr, hex, prekeyBundle as bundle, protocolError } from '../test/fixtures.js';
import { decodeClientFrame, decodeRelayFrame } from './index.js';

const prekeyBundle = (extra: Record<string, unknown>) => pack(bundle(extra));
const ping = (extra: Record<string, unknown>) => pack({ t: 'ping', rid: 1, ...extra });
const hello = (extra: Record<string, unknown>) => pack({ t: 'hello', v: 1, agent: 'x', ...extra });
const auth = (extra: Record<string, unknown>) =>
  pack({
    t: 'auth',
    user: 'bob',
    idpk: bytes(32),
    encpk: bytes(32),
    bsig: bytes(64),
    mode: 'recv',
    sig: bytes(64),
    ...extra,
  });
const send = (extra: Record<string, unknown>) =>
  pack({ t: 'send', rid: 1, to: 'bob', id: bytes(16), env: bytes(49), ...extra });
const ack = (ids: unknown) => pack({ t: 'ack', ids });
/** A ping whose rid is the given raw msgpack value. */
const pingRid = (valueHex: string) => hex(`82${fixstr('t')}${fixstr('ping')}${fixstr('rid')}${valueHex}`);
const deep = (n: number) => Buffer.concat([Buffer.alloc(n, 0x91), Buffer.from([0x01])]);

/** A valid one-entry `prekey_put` (an OPK) with fields replaced. */
const prekeyPut = (extra: Record<string, unknown>) =>
  pack({ t: 'prekey_put', rid: 1, types: [2], ids: [1], keys: [bytes(32)], sigs: [bytes(64)], ...extra });
const batch = (n: number) => ({
  types: Array(n).fill(2),
  ids: [...Array(n).keys()],
  keys: Array(n).fill(bytes(32)),
  sigs: Array(n).fill(bytes(64)),
});

const INVALID_CLIENT: [string, Uint8Array][] = [
  ['an empty body', Buffer.alloc(0)],
  ['nil', hex('c0')],
  ['a bool', hex('c3')],
  ['an int', hex('01')],
  ['a str', pack('ping')],
  ['a bin', pack(bytes(10))],
  ['an array instead of a map', pack(['ping', 1])],
  ['an array holding a valid frame', pack([{ t: 'ping', rid: 1 }])],
  ['a map without t', pack({ rid: 1 })],
  ['an empty map', hex('80')],
  ['t that is not a str', pack({ t: 1, rid: 1 })],
  ['t as a bin', pack({ t: Buffer.from('ping'), rid: 1 })],
  ['an unknown t', pack({ t: 'launch', rid: 1 })],
  ['t of a relay frame', pack({ t: 'pong', rid: 1 })],
  ['t "__proto__"', pack({ t: '__proto__', rid: 1 })],
  ['t "constructor"', pack({ t: 'constructor', rid: 1 })],
  ['t "toString"', pack({ t: 'toString' })],
  ['t "hasOwnProperty"', pack({ t: 'hasOwnProperty' })],
  ['a missing field', pack({ t: 'ping' })],
  ['an extra field', ping({ x: 1 })],
  ['an extra field "constructor"', ping({ constructor: 'x' })],
  ['an extra field "toString"', ping({ toString: 'x' })],
  ['an extra nil field', ping({ x: null })],
  ['rid nil', ping({ rid: null })],
  ['rid as a str', ping({ rid: '1' })],
  ['rid as a bool', ping({ rid: true })],
  ['rid as a bin', ping({ rid: bytes(1) })],
  ['rid 1.5', ping({ rid: 1.5 })],
  ['rid 1.0 as float 64', pingRid('cb3ff0000000000000')],
  ['rid 1.0 as float 32', pingRid('ca3f800000')],
  ['rid -1', ping({ rid: -1 })],
  ['rid -100 as int 8', pingRid('d09c')],
  ['rid 2^32 as uint 64', pingRid('cf0000000100000000')],
  ['rid 2^32 as msgpackr writes it (float 64)', ping({ rid: 2 ** 32 })],
  ['rid 2^64-1', pingRid('cfffffffffffffffff')],
  ['rid as a map', ping({ rid: {} })],
  ['rid as an array', ping({ rid: [1] })],
  ['rid as a timestamp ext', ping({ rid: new Date(0) })],
  ['an ext 0 ("undefined") field', pingRid('d40000')],
  ['a fixext 1 type 0x72 (record definition)', pingRid('d47240')],
  ['the reserved byte 0xc1', pingRid('c1')],
  ['a top-level timestamp ext', pack(new Date(0))],
  ['a record written by a structuredClone Packr', new Packr({ structuredClone: true }).pack({ t: 'ping', rid: 1 })],
  ['a record written by a useRecords Packr', new Packr({ useRecords: true }).pack({ t: 'ping', rid: 1 })],
  [
    'bundled strings (ext 0x62)',
    new Packr({ bundleStrings: true, useRecords: false }).pack({ t: 'lookup', rid: 1, user: 'x'.repeat(40) }),
  ],
  [
    'an env written as a typed-array ext (moreTypes)',
    new Packr({ moreTypes: true, useRecords: false }).pack({
      t: 'send',
      rid: 1,
      to: 'bob',
      id: bytes(16),
      env: new Uint8Array(49),
    }),
  ],
  ['trailing bytes', Buffer.concat([ping({}), hex('00')])],
  ['two frames in one body', Buffer.concat([ping({}), ping({})])],
  ['a truncated body', ping({}).subarray(0, -1)],
  ['a map 16 announcing more entries than there are', hex(`deffff${fixstr('t')}${fixstr('ping')}`)],
  ['a map 32 announcing 2^32-1 entries', hex('dfffffffff')],
  ['an array 32 announcing 2^32-1 elements', hex(`82${fixstr('t')}${fixstr('ack')}${fixstr('ids')}ddffffffff`)],
  ['a str 32 announcing 2^32-1 bytes', hex(`82${fixstr('t')}${fixstr('hello')}dbffffffff`)],
  ['a duplicate key', hex(`83${fixstr('t')}${fixstr('ping')}${fixstr('rid')}01${fixstr('rid')}02`)],
  ['a duplicate t', hex(`83${fixstr('t')}${fixstr('pong')}${fixstr('rid')}01${fixstr('t')}${fixstr('ping')}`)],
  ['an int map key', hex(`83${fixstr('t')}${fixstr('ping')}${fixstr('rid')}010101`)],
  ['the rid key written as a bin', hex(`82${fixstr('t')}${fixstr('ping')}c40372696401`)],
  [
    'a __proto__ key',
    hex(
      '83' +
        fixstr('t') +
        fixstr('ping') +
        fixstr('rid') +
        '01' +
        fixstr('__proto__') +
        '81' +
        fixstr('polluted') +
        'c3',
    ),
  ],
  ['a 100 000-deep nested array', deep(100_000)],
  [
    'a 100 000-deep nested array in a field',
    Buffer.concat([hex(`82${fixstr('t')}${fixstr('ping')}${fixstr('rid')}`), deep(100_000)]),
  ],
  ['60 000 nested maps', hex(`${'81a0'.repeat(60_000)}01`)],
  ['a body over MAX_FRAME_BYTES', send({ env: bytes(131_073) })],
  // hello
  ['hello v 1.5', hello({ v: 1.5 })],
  ['hello v as a str', hello({ v: '1' })],
  [
    'hello v 2^53 (not a safe integer)',
    hex(`83${fixstr('t')}${fixstr('hello')}${fixstr('v')}cf0020000000000000${fixstr('agent')}a0`),
  ],
  [
    'hello v -1 as int 64',
    hex(`83${fixstr('t')}${fixstr('hello')}${fixstr('v')}d3ffffffffffffffff${fixstr('agent')}a0`),
  ],
  ['hello agent of 65 bytes', hello({ agent: 'a'.repeat(65) })],
  ['hello agent of 33 two-byte characters (66 bytes)', hello({ agent: 'é'.repeat(33) })],
  ['hello agent as a bin', hello({ agent: bytes(3) })],
  ['hello agent of invalid UTF-8', hex(`83${fixstr('t')}${fixstr('hello')}${fixstr('v')}01${fixstr('agent')}a2c328`)],
  [
    'hello agent with a UTF-8-encoded surrogate',
    hex(`83${fixstr('t')}${fixstr('hello')}${fixstr('v')}01${fixstr('agent')}a3eda080`),
  ],
  [
    'hello agent with an overlong encoding',
    hex(`83${fixstr('t')}${fixstr('hello')}${fixstr('v')}01${fixstr('agent')}a2c0af`),
  ],
  ['hello without agent', pack({ t: 'hello', v: 1 })],
  // auth
  ['auth user of 2 bytes', auth({ user: 'ab' })],
  ['auth user of 33 bytes', auth({ user: 'a'.repeat(33) })],
  ['auth idpk of 31 bytes', auth({ idpk: bytes(31) })],
  ['auth idpk of 33 bytes', auth({ idpk: bytes(33) })],
  ['auth idpk as a str', auth({ idpk: 'x'.repeat(32) })],
  ['auth idpk as an array of ints', auth({ idpk: Array.from(bytes(32)) })],
  ['auth encpk of 0 bytes', auth({ encpk: bytes(0) })],
  ['auth bsig of 63 bytes', auth({ bsig: bytes(63) })],
  ['auth sig of 65 bytes', auth({ sig: bytes(65) })],
  ['auth mode "RECV"', auth({ mode: 'RECV' })],
  ['auth mode "both"', auth({ mode: 'both' })],
  ['auth mode 1', auth({ mode: 1 })],
  [
    'auth without sig',
    pack({ t: 'auth', user: 'bob', idpk: bytes(32), encpk: bytes(32), bsig: bytes(64), mode: 'recv' }),
  ],
  // lookup, send
  ['lookup user empty', pack({ t: 'lookup', rid: 1, user: '' })],
  ['lookup user of 65 bytes', pack({ t: 'lookup', rid: 1, user: 'a'.repeat(65) })],
  ['lookup without rid', pack({ t: 'lookup', user: 'bob' })],
  ['send env of 48 bytes', send({ env: bytes(48) })],
  ['send env of 65537 bytes', send({ env: bytes(65_537) })],
  ['send env as a str', send({ env: 'x'.repeat(49) })],
  ['send id of 15 bytes', send({ id: bytes(15) })],
  ['send id of 17 bytes', send({ id: bytes(17) })],
  ['send to empty', send({ to: '' })],
  ['send to of 65 bytes', send({ to: 'b'.repeat(65) })],
  ['send rid 2^32', send({ rid: 2 ** 32 })],
  ['send eph as 1', send({ eph: 1 })],
  ['send eph nil', send({ eph: null })],
  ['send eph as a str', send({ eph: 'true' })],
  ['who without rid', pack({ t: 'who' })],
  ['who with a user', pack({ t: 'who', rid: 1, user: 'bob' })],
  ['who rid as a str', pack({ t: 'who', rid: '1' })],
  // ack
  ['ack with 0 ids', ack([])],
  ['ack with 257 ids', ack(Array.from({ length: 257 }, () => bytes(16)))],
  ['ack ids as a bin', ack(bytes(16))],
  ['ack ids as a map', ack({ 0: bytes(16) })],
  ['ack id of 15 bytes', ack([bytes(16), bytes(15)])],
  ['ack id of 17 bytes', ack([bytes(17)])],
  ['ack id nil', ack([null])],
  ['ack ids nested one level deeper', ack([[bytes(16)]])],
  ['ack with rid', pack({ t: 'ack', rid: 1, ids: [bytes(16)] })],
  // ping
  ['ping with a 2^32 rid as int 64', pingRid('d30000000100000000')],
  ['auth invite empty', auth({ invite: '' })],
  ['auth invite of 65 bytes', auth({ invite: 'k'.repeat(65) })],
  ['auth invite nil', auth({ invite: null })],
  ['auth invite as a bin', auth({ invite: bytes(8) })],
  ['admin with an unknown op', pack({ t: 'admin', rid: 1, op: 'drop-tables' })],
  ['admin op delete-user (local only)', pack({ t: 'admin', rid: 1, op: 'delete-user', user: 'bob' })],
  ['admin without op', pack({ t: 'admin', rid: 1 })],
  ['admin without rid', pack({ t: 'admin', op: 'users' })],
  ['admin user of 65 bytes', pack({ t: 'admin', rid: 1, op: 'kick', user: 'b'.repeat(65) })],
  ['admin reason of 193 bytes', pack({ t: 'admin', rid: 1, op: 'kick', user: 'bob', reason: 'r'.repeat(193) })],
  ['admin with an extra field', pack({ t: 'admin', rid: 1, op: 'users', page: 2 })],
  // prekey_put (§23.2)
  ['prekey_put with arrays of different lengths', prekeyPut({ ids: [1, 2] })],
  ['prekey_put with a type 0', prekeyPut({ types: [0] })],
  ['prekey_put with a type 5', prekeyPut({ types: [5] })],
  ['prekey_put with a type as a str', prekeyPut({ types: ['1'] })],
  ['prekey_put with an X25519 key of 1,184 bytes', prekeyPut({ keys: [bytes(1184)] })],
  ['prekey_put with an ML-KEM key of 32 bytes', prekeyPut({ types: [3] })],
  ['prekey_put with an ML-KEM key of 1,183 bytes', prekeyPut({ types: [4], keys: [bytes(1183)] })],
  ['prekey_put with a key of 33 bytes', prekeyPut({ keys: [bytes(33)] })],
  ['prekey_put with a signature of 63 bytes', prekeyPut({ sigs: [bytes(63)] })],
  ['prekey_put with a key id 2^32', prekeyPut({ ids: [2 ** 32] })],
  ['prekey_put with a key id -1', prekeyPut({ ids: [-1] })],
  ['prekey_put with 201 entries', prekeyPut(batch(201))],
  ['prekey_put without sigs', pack({ t: 'prekey_put', rid: 1, types: [], ids: [], keys: [] })],
  ['prekey_put with reset nil', prekeyPut({ reset: null })],
  ['prekey_put with reset 1', prekeyPut({ reset: 1 })],
  ['prekey_put with an entry as a map', prekeyPut({ keys: [{ key: bytes(32) }] })],
  ['prekey_get without user', pack({ t: 'prekey_get', rid: 1 })],
  ['prekey_get with an empty user', pack({ t: 'prekey_get', rid: 1, user: '' })],
];

const relayFrame = (t: string, fields: Record<string, unknown>) => pack({ t, ...fields });
const errBody = (extra: Record<string, unknown>) =>
  relayFrame('err', { rid: 1, code: 'INTERNAL', msg: '', fatal: false, ...extra });
const msgBody = (extra: Record<string, unknown>) =>
  relayFrame('msg', { id: bytes(16), env: bytes(49), ts: 1, ...extra });

const INVALID_RELAY: [string, Uint8Array][] = [
  ['a client frame type', ping({})],
  ['an unknown t', relayFrame('welcome!', {})],
  ['err with an unknown code', errBody({ code: 'NOPE' })],
  ['err with code "toString"', errBody({ code: 'toString' })],
  ['err with a lower-case code', errBody({ code: 'internal' })],
  ['err with a client-side code', errBody({ code: 'ENVELOPE_MALFORMED' })],
  ['err msg of 257 bytes', errBody({ msg: 'x'.repeat(257) })],
  ['err fatal as 1', errBody({ fatal: 1 })],
  ['err without fatal', relayFrame('err', { code: 'INTERNAL', msg: '' })],
  ['err rid nil', errBody({ rid: null })],
  ['err rid -1', errBody({ rid: -1 })],
  ['err rid 2^32', errBody({ rid: 2 ** 32 })],
  ['msg ts as msgpackr writes 1700000000000 by default (float 64)', msgBody({ ts: 1_700_000_000_000 })],
  ['msg ts 1.5', msgBody({ ts: 1.5 })],
  ['msg ts -1', msgBody({ ts: -1 })],
  ['msg ts as a timestamp ext', msgBody({ ts: new Date(1_700_000_000_000) })],
  [
    'msg ts 2^53 as uint 64',
    hex(
      '84' +
        fixstr('t') +
        fixstr('msg') +
        fixstr('id') +
        'c410' +
        '00'.repeat(16) +
        fixstr('env') +
        'c431' +
        '00'.repeat(49) +
        fixstr('ts') +
        'cf0020000000000000',
    ),
  ],
  ['msg env of 48 bytes', msgBody({ env: bytes(48) })],
  ['msg env of 65537 bytes', msgBody({ env: bytes(65_537) })],
  ['msg id of 15 bytes', msgBody({ id: bytes(15) })],
  ['msg with rid', msgBody({ rid: 1 })],
  ['welcome user of 2 bytes', relayFrame('welcome', { user: 'ab', mode: 'recv', registered: true })],
  ['welcome mode "both"', relayFrame('welcome', { user: 'alice', mode: 'both', registered: true })],
  ['welcome registered as 0', relayFrame('welcome', { user: 'alice', mode: 'recv', registered: 0 })],
  [
    'challenge relay id of 31 bytes',
    relayFrame('challenge', { v: 1, relay: bytes(31), nonce: bytes(32), maxFrame: 1, maxEnvelope: 1 }),
  ],
  [
    'challenge nonce of 33 bytes',
    relayFrame('challenge', { v: 1, relay: bytes(32), nonce: bytes(33), maxFrame: 1, maxEnvelope: 1 }),
  ],
  [
    'challenge maxFrame 1.5',
    relayFrame('challenge', { v: 1, relay: bytes(32), nonce: bytes(32), maxFrame: 1.5, maxEnvelope: 1 }),
  ],
  ['challenge without v', relayFrame('challenge', { relay: bytes(32), nonce: bytes(32), maxFrame: 1, maxEnvelope: 1 })],
  [
    'bundle user of 33 bytes',
    relayFrame('bundle', { rid: 1, user: 'c'.repeat(33), idpk: bytes(32), encpk: bytes(32), bsig: bytes(64) }),
  ],
  [
    'bundle bsig of 32 bytes',
    relayFrame('bundle', { rid: 1, user: 'carol', idpk: bytes(32), encpk: bytes(32), bsig: bytes(32) }),
  ],
  ['sent id of 0 bytes', relayFrame('sent', { rid: 1, id: bytes(0) })],
  ['synced with an extra field', relayFrame('synced', { rid: 1 })],
  ['pong without rid', relayFrame('pong', {})],
  ['fanout_sent with no codes', relayFrame('fanout_sent', { rid: 1, codes: [] })],
  ['room_members with a 2-byte username', relayFrame('room_members', { rid: 1, room: 'general', users: ['ab'] })],
  ['rooms with a 33-byte name', relayFrame('rooms', { rid: 1, names: ['r'.repeat(33)] })],
  ['msg eph as 1', msgBody({ eph: 1 })],
  ['online without users', relayFrame('online', { rid: 1 })],
  ['online users as a str', relayFrame('online', { rid: 1, users: 'alice' })],
  ['online with a 33-byte username', relayFrame('online', { rid: 1, users: ['a'.repeat(33)] })],
  ['online with a 2-byte username', relayFrame('online', { rid: 1, users: ['ab'] })],
  [
    'online with 1025 users',
    relayFrame('online', { rid: 1, users: Array.from({ length: 1025 }, (_, i) => `user${i}`) }),
  ],
  ['online with a nested array', relayFrame('online', { rid: 1, users: [['alice']] })],
  ['keepalive with a field', pack({ t: 'keepalive', rid: 1 })],
  [
    'admin_users arrays holding the wrong type',
    pack({
      t: 'admin_users',
      rid: 1,
      names: [1],
      created: [1],
      online: [true],
      banned: [false],
      depth: [0],
      bytes: [0],
      more: false,
    }),
  ],
  [
    'admin_users with a missing array',
    pack({ t: 'admin_users', rid: 1, names: [], created: [], online: [], banned: [], depth: [], more: false }),
  ],
  [
    'admin_users with 501 names',
    pack({
      t: 'admin_users',
      rid: 1,
      names: Array(501).fill('bob'),
      created: [],
      online: [],
      banned: [],
      depth: [],
      bytes: [],
      more: false,
    }),
  ],
  [
    'admin_users with an escape sequence in a name',
    pack({
      t: 'admin_users',
      rid: 1,
      names: ['bob\x1b]52;c;aGk=\x07\x1b[2J'],
      created: [0],
      online: [true],
      banned: [false],
      depth: [0],
      bytes: [0],
      more: false,
    }),
  ],
  [
    'admin_users with an upper-case name',
    pack({
      t: 'admin_users',
      rid: 1,
      names: ['Bob'],
      created: [0],
      online: [true],
      banned: [false],
      depth: [0],
      bytes: [0],
      more: false,
    }),
  ],
  [
    'admin_users with a nested array',
    pack({
      t: 'admin_users',
      rid: 1,
      names: [['bob']],
      created: [],
      online: [],
      banned: [],
      depth: [],
      bytes: [],
      more: false,
    }),
  ],
  [
    'admin_stats without uptime',
    pack({ t: 'admin_stats', rid: 1, connections: 0, online: 0, users: 0, queued: 0, queuedBytes: 0 }),
  ],
  ['admin_done with an unknown op', pack({ t: 'admin_done', rid: 1, op: 'explode' })],
  ['admin_done with an empty invite', pack({ t: 'admin_done', rid: 1, op: 'invite', invite: '' })],
  // prekey frames (§23.2)
  ['prekey_count with a negative count', relayFrame('prekey_count', { opk: -1, pqopk: 0 })],
  ['prekey_count with spkId 2^32', relayFrame('prekey_count', { opk: 0, pqopk: 0, spkId: 2 ** 32 })],
  ['prekey_count with spkId nil', relayFrame('prekey_count', { opk: 0, pqopk: 0, spkId: null })],
  ['prekey_count without pqopk', relayFrame('prekey_count', { opk: 0 })],
  ['prekey_bundle with only opk (no opkId, no opkSig)', prekeyBundle({ opk: bytes(32) })],
  ['prekey_bundle with opkId and opk, no opkSig', prekeyBundle({ opkId: 1, opk: bytes(32) })],
  ['prekey_bundle with pqType 2', prekeyBundle({ pqType: 2 })],
  ['prekey_bundle with pqType 1', prekeyBundle({ pqType: 1 })],
  ['prekey_bundle with pqType 5', prekeyBundle({ pqType: 5 })],
  ['prekey_bundle with a 32-byte pq', prekeyBundle({ pq: bytes(32) })],
  ['prekey_bundle with a 1,184-byte spk', prekeyBundle({ spk: bytes(1184) })],
  ['prekey_bundle with an invalid user', prekeyBundle({ user: 'b' })],
  ['prekey_bundle without spkSig', prekeyBundle({ spkSig: undefined })],
];

describe('invalid client bodies are BAD_FRAME', () => {
  it.each(INVALID_CLIENT)('%s', (_, body) => {
    const e = protocolError(() => decodeClientFrame(body));
    expect(e.code).toBe('BAD_FRAME');
    expect(e.fatal).toBe(true);
  });
});

describe('invalid relay bodies are BAD_FRAME', () => {
  it.each(INVALID_RELAY)('%s', (_, body) => {
    expect(protocolError(() => decodeRelayFrame(body)).code).toBe('BAD_FRAME');
  });
  it.each(INVALID_CLIENT.filter(([name]) => name !== 't of a relay frame'))('%s (relay decoder)', (_, body) => {
    expect(protocolError(() => decodeRelayFrame(body)).code).toBe('BAD_FRAME');
  });
});

describe('what the pre-pass protects against (these show the invalid-body tests can fail)', () => {
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
  it('plain msgpackr overflows the stack on deep nesting', () => {
    expect(() => unpackr.unpack(deep(100_000))).toThrow(RangeError);
  });
  it('plain msgpackr (useRecords: false) still decodes records and typed-array exts into a valid-looking frame', () => {
    expect(unpackr.unpack(new Packr({ structuredClone: true }).pack({ t: 'ping', rid: 1 }))).toStrictEqual({
      t: 'ping',
      rid: 1,
    });
    const send = unpackr.unpack(new Packr({ moreTypes: true, useRecords: false }).pack({ env: new Uint8Array(49) }));
    expect(isUint8Array(send.env)).toBe(true);
  });
});

describe('prototype pollution', () => {
  it('a __proto__ key pollutes nothing and is BAD_FRAME', () => {
    const body = hex(
      '83' +
        fixstr('t') +
        fixstr('ping') +
        fixstr('rid') +
        '01' +
        fixstr('__proto__') +
        '81' +
        fixstr('polluted') +
        'c3',
    );
    expect(protocolError(() => decodeClientFrame(body)).code).toBe('BAD_FRAME');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
  it('a frame whose t is __proto__ is not looked up on a prototype', () => {
    expect(protocolError(() => decodeClientFrame(pack({ t: '__proto__' }))).message).toMatch(
      /unknown client frame type/,
    );
  });
});
