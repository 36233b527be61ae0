import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import * as protocol from './index.js';
import {
  ERROR_CODES,
  ProtocolError,
  decodeRelayFrame,
  encodeFrame,
  errFrame,
  isErrorCode,
  type ErrorCode,
} from './index.js';

describe('error codes (PROTOCOL.md §10)', () => {
  it('are exactly the codes of §10 with its fatal column', () => {
    const fatal = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { fatal }]) => [code, fatal]));
    expect(fatal).toStrictEqual({
      BAD_FRAME: true,
      FRAME_TOO_LARGE: true,
      UNSUPPORTED_VERSION: true,
      PROTOCOL_STATE: true,
      HANDSHAKE_TIMEOUT: true,
      BAD_USERNAME: true,
      AUTH_FAILED: true,
      KEY_MISMATCH: true,
      ALREADY_RECEIVING: true,
      UNKNOWN_USER: false,
      ENVELOPE_TOO_LARGE: false,
      MAILBOX_FULL: false,
      INTERNAL: false,
      SHUTTING_DOWN: true,
      TLS_REQUIRED: true,
      NOT_ONLINE: false,
      TOO_MANY_CONNECTIONS: true,
      CONNECT_RATE_LIMITED: true,
      TOO_MANY_IP_CONNECTIONS: true,
      TOO_MANY_SESSIONS: true,
      REGISTRATION_RATE_LIMITED: true,
      IDLE_TIMEOUT: true,
      RATE_LIMITED: false,
      BANNED: true,
      INVITE_REQUIRED: true,
      INVITE_INVALID: true,
      KICKED: true,
      FORBIDDEN: false,
      UNKNOWN_ROOM: false,
      FILE_TOO_LARGE: false,
      QUOTA_EXCEEDED: false,
      NO_SUCH_BLOB: false,
      BLOB_CONFLICT: false,
      BLOB_OUT_OF_ORDER: false,
      BLOB_INCOMPLETE: false,
      BAD_BLOB: false,
      PREKEY_INVALID: false,
      PREKEY_BAD_SIGNATURE: false,
      PREKEY_LIMIT: false,
      NO_PREKEYS: false,
    });
    for (const { description } of Object.values(ERROR_CODES)) expect(description.length).toBeGreaterThan(0);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(ERROR_CODES)).toBe(true);
    expect(Object.isFrozen(ERROR_CODES.INTERNAL)).toBe(true);
  });

  it('isErrorCode accepts own codes only', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(isErrorCode(code)).toBe(true);
    for (const x of [
      'toString',
      '__proto__',
      'constructor',
      'bad_frame',
      'ENVELOPE_MALFORMED',
      '',
      1,
      null,
      undefined,
    ]) {
      expect(isErrorCode(x)).toBe(false);
    }
  });
});

describe('ProtocolError', () => {
  it('carries the code and the fatal flag of §10', () => {
    const e = new ProtocolError('MAILBOX_FULL', 'full');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ProtocolError');
    expect(e.code).toBe('MAILBOX_FULL');
    expect(e.fatal).toBe(false);
    expect(e.message).toBe('full');
    expect(new ProtocolError('BAD_FRAME', 'x').fatal).toBe(true);
    const cause = new Error('inner');
    expect(new ProtocolError('INTERNAL', 'x', { cause }).cause).toBe(cause);
  });

  it('refuses an unknown code', () => {
    expect(() => new ProtocolError('NOPE' as ErrorCode, 'x')).toThrow(TypeError);
  });
});

describe('errFrame', () => {
  it('takes fatal from ERROR_CODES, for every code', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect(errFrame(code, 'm')).toStrictEqual({ t: 'err', code, msg: 'm', fatal: ERROR_CODES[code].fatal });
    }
  });

  it('includes rid only when given (0 included)', () => {
    expect(errFrame('UNKNOWN_USER', 'no', 0)).toStrictEqual({
      t: 'err',
      rid: 0,
      code: 'UNKNOWN_USER',
      msg: 'no',
      fatal: false,
    });
    expect('rid' in errFrame('UNKNOWN_USER', 'no')).toBe(false);
  });

  it('cuts msg to 256 UTF-8 bytes on a character boundary, so the frame always encodes', () => {
    const f = errFrame('INTERNAL', '€'.repeat(100)); // 300 bytes; 85 whole characters fit
    expect(f.msg).toBe('€'.repeat(85));
    expect(Buffer.byteLength(f.msg)).toBe(255);
    expect(errFrame('INTERNAL', 'x'.repeat(256)).msg).toBe('x'.repeat(256));
    expect(errFrame('INTERNAL', 'x'.repeat(257)).msg).toBe('x'.repeat(256));
    expect(errFrame('INTERNAL', `${'x'.repeat(255)}😀`).msg).toBe('x'.repeat(255));
    const decoded = decodeRelayFrame(encodeFrame(errFrame('INTERNAL', 'é'.repeat(1000), 4)).subarray(4));
    expect(decoded).toStrictEqual({ t: 'err', rid: 4, code: 'INTERNAL', msg: 'é'.repeat(128), fatal: false });
  });

  it('replaces lone surrogates, which have no UTF-8 form', () => {
    expect(errFrame('INTERNAL', 'a\ud800b').msg).toBe('a\ufffdb');
    expect(() => encodeFrame(errFrame('INTERNAL', 'a\udc00'))).not.toThrow();
  });

  it('refuses an unknown code', () => {
    expect(() => errFrame('NOPE' as ErrorCode, 'x')).toThrow(TypeError);
  });
});

describe('constants (PROTOCOL.md §11)', () => {
  it('have the values of the spec', () => {
    expect({
      PROTOCOL_VERSION: protocol.PROTOCOL_VERSION,
      MAX_FRAME_BYTES: protocol.MAX_FRAME_BYTES,
      MAX_ENVELOPE_BYTES: protocol.MAX_ENVELOPE_BYTES,
      MIN_ENVELOPE_BYTES: protocol.MIN_ENVELOPE_BYTES,
      MAX_ACK_IDS: protocol.MAX_ACK_IDS,
      MESSAGE_ID_BYTES: protocol.MESSAGE_ID_BYTES,
      HANDSHAKE_TIMEOUT_MS: protocol.HANDSHAKE_TIMEOUT_MS,
      DEFAULT_PORT: protocol.DEFAULT_PORT,
      MAX_AGENT_LENGTH: protocol.MAX_AGENT_LENGTH,
    }).toStrictEqual({
      PROTOCOL_VERSION: 1,
      MAX_FRAME_BYTES: 131_072,
      MAX_ENVELOPE_BYTES: 65_536,
      MIN_ENVELOPE_BYTES: 49,
      MAX_ACK_IDS: 256,
      MESSAGE_ID_BYTES: 16,
      HANDSHAKE_TIMEOUT_MS: 10_000,
      DEFAULT_PORT: 7717,
      MAX_AGENT_LENGTH: 64,
    });
  });

  it('of prekeys have the values of §23.7', () => {
    expect({
      PROTOCOL_VERSION_2: protocol.PROTOCOL_VERSION_2,
      PROTOCOL_VERSIONS: protocol.PROTOCOL_VERSIONS,
      PREKEY_TYPES: [
        protocol.PREKEY_TYPE_SPK,
        protocol.PREKEY_TYPE_OPK,
        protocol.PREKEY_TYPE_PQSPK,
        protocol.PREKEY_TYPE_PQOPK,
      ],
      X25519_PREKEY_BYTES: protocol.X25519_PREKEY_BYTES,
      MLKEM_PREKEY_BYTES: protocol.MLKEM_PREKEY_BYTES,
      MAX_PREKEY_BATCH: protocol.MAX_PREKEY_BATCH,
      MAX_STORED_OPK: protocol.MAX_STORED_OPK,
      MAX_STORED_PQOPK: protocol.MAX_STORED_PQOPK,
      OPK_LOW_WATER: protocol.OPK_LOW_WATER,
      PQOPK_LOW_WATER: protocol.PQOPK_LOW_WATER,
    }).toStrictEqual({
      PROTOCOL_VERSION_2: 2,
      PROTOCOL_VERSIONS: [1, 2],
      PREKEY_TYPES: [1, 2, 3, 4],
      X25519_PREKEY_BYTES: 32,
      MLKEM_PREKEY_BYTES: 1184,
      MAX_PREKEY_BATCH: 200,
      MAX_STORED_OPK: 200,
      MAX_STORED_PQOPK: 50,
      OPK_LOW_WATER: 25,
      PQOPK_LOW_WATER: 10,
    });
  });
});
