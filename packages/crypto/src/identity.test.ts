/** Identities (PROTOCOL.md §1) and fingerprints (§3.3). */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, libsodium } from '../test/helpers.js';
import { fingerprint, generateIdentity, identityFromSecrets, reference, sign, toHex, verify } from './index.js';

const secret = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('identityFromSecrets', () => {
  it('derives the public keys libsodium derives (crypto_sign_seed_keypair, crypto_scalarmult_base)', async () => {
    const sodium = await libsodium();
    fc.assert(
      fc.property(secret, secret, (seed, encSk) => {
        const id = identityFromSecrets(seed, encSk);
        expect(toHex(id.identity.publicKey)).toBe(toHex(sodium.crypto_sign_seed_keypair(seed).publicKey));
        expect(toHex(id.encryption.publicKey)).toBe(toHex(sodium.crypto_scalarmult_base(encSk)));
        expect(toHex(id.identity.secretKey)).toBe(toHex(seed));
        expect(toHex(id.encryption.secretKey)).toBe(toHex(encSk));
      }),
      { numRuns: 100 },
    );
  });

  it('is deterministic and holds copies, so the caller may wipe its arrays', () => {
    const seed = new Uint8Array(32).fill(1);
    const encSk = new Uint8Array(32).fill(2);
    const a = identityFromSecrets(seed, encSk);
    const b = identityFromSecrets(seed, encSk);
    expect(a).toEqual(b);
    seed.fill(0);
    encSk.fill(0);
    expect(a.identity.secretKey).toEqual(new Uint8Array(32).fill(1));
    expect(a.encryption.secretKey).toEqual(new Uint8Array(32).fill(2));
  });

  it('rejects secrets that are not 32 bytes', () => {
    expect(() => identityFromSecrets(new Uint8Array(64), new Uint8Array(32))).toThrow(RangeError);
    expect(() => identityFromSecrets(new Uint8Array(32), new Uint8Array(16))).toThrow(
      /encryptionSecretKey.*32 bytes, got 16/,
    );
    expect(() => identityFromSecrets('x' as unknown as Uint8Array, new Uint8Array(32))).toThrow(TypeError);
  });
});

describe('generateIdentity', () => {
  it('makes distinct, working keypairs', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    expect(toHex(a.identity.secretKey)).not.toBe(toHex(b.identity.secretKey));
    expect(toHex(a.encryption.secretKey)).not.toBe(toHex(b.encryption.secretKey));
    const m = Uint8Array.of(1);
    expect(verify(sign(m, a.identity.secretKey), m, a.identity.publicKey)).toBe(true);
    expect(reference.verify(sign(m, a.identity.secretKey), m, a.identity.publicKey)).toBe(true);
    expect(a).toEqual(identityFromSecrets(a.identity.secretKey, a.encryption.secretKey));
  });
});

describe('fingerprint', () => {
  const pk = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'); // RFC 8032 §7.1 TEST 1

  it('is SHA-256("chat/v1/fingerprint\\0" ‖ pk)[0..16] in upper-case hex, 8 groups of 4', () => {
    const digest = createHash('sha256').update(Buffer.from('chat/v1/fingerprint\0', 'ascii')).update(pk).digest();
    const expected = digest
      .toString('hex')
      .slice(0, 32)
      .toUpperCase()
      .replace(/(.{4})(?!$)/g, '$1 ');
    expect(fingerprint(pk)).toBe(expected);
    expect(fingerprint(pk)).toBe('66C7 AFAE 9F08 499E FF8B F7D4 66AB FA3A'); // stable across versions
  });

  it('always has the §3.3 shape and differs between keys', () => {
    fc.assert(
      fc.property(secret, (k) => {
        expect(fingerprint(k)).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){7}$/);
      }),
    );
    expect(fingerprint(new Uint8Array(32))).not.toBe(fingerprint(new Uint8Array(32).fill(1)));
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => fingerprint(new Uint8Array(31))).toThrow(RangeError);
    expect(() => fingerprint('ab' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
