import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { AUTH_LABEL, AUTH_MODE_BYTES, authMessage } from './index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('authMessage (PROTOCOL.md §8)', () => {
  it('AUTH_LABEL is "chat/v1/auth" and one zero byte', () => {
    expect(AUTH_LABEL).toBe('chat/v1/auth\0');
    expect(AUTH_LABEL.length).toBe(13);
    expect(AUTH_MODE_BYTES).toEqual({ recv: 1, send: 2 });
  });

  it('exact bytes: relay 0x11…, nonce 0x22…, "alice", recv', () => {
    const msg = authMessage(Buffer.alloc(32, 0x11), Buffer.alloc(32, 0x22), 'alice', 'recv');
    expect(hex(msg)).toBe(
      '636861742f76312f6175746800' + // "chat/v1/auth\0"
        '1111111111111111111111111111111111111111111111111111111111111111' + // relay id
        '2222222222222222222222222222222222222222222222222222222222222222' + // nonce
        '05' +
        '616c696365' + // len8("alice") ‖ "alice"
        '01', // recv
    );
    expect(msg.length).toBe(13 + 32 + 32 + 1 + 5 + 1);
  });

  it('exact bytes: relay 00..1f, nonce e0..ff, "bob", send; plain Uint8Array inputs', () => {
    const relay = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = Uint8Array.from({ length: 32 }, (_, i) => 0xe0 + i);
    expect(hex(authMessage(relay, nonce, 'bob', 'send'))).toBe(
      '636861742f76312f6175746800' +
        '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' +
        'e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff' +
        '03626f62' +
        '02',
    );
  });

  it('len8 counts UTF-8 bytes', () => {
    const msg = authMessage(Buffer.alloc(32), Buffer.alloc(32), 'é', 'recv');
    expect(hex(msg.subarray(77))).toBe('02c3a901');
  });

  it('refuses bad arguments with TypeError / RangeError', () => {
    const k = Buffer.alloc(32);
    expect(() => authMessage(Buffer.alloc(31), k, 'alice', 'recv')).toThrow(RangeError);
    expect(() => authMessage(k, Buffer.alloc(33), 'alice', 'recv')).toThrow(RangeError);
    expect(() => authMessage(k, k, '', 'recv')).toThrow(RangeError);
    expect(() => authMessage(k, k, 'a'.repeat(256), 'recv')).toThrow(RangeError);
    expect(authMessage(k, k, 'a'.repeat(255), 'recv').length).toBe(13 + 64 + 1 + 255 + 1);
    expect(() => authMessage(k, k, 'a\ud800', 'recv')).toThrow(TypeError);
    expect(() => authMessage(k, k, 'alice', 'both' as 'recv')).toThrow(TypeError);
    expect(() => authMessage('x'.repeat(32) as unknown as Uint8Array, k, 'alice', 'recv')).toThrow(TypeError);
  });
});
