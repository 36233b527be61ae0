import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isRelayCertFingerprint, relayCertFingerprint } from './relay-cert.js';

describe('relay certificate fingerprint (PROTOCOL.md §5.1)', () => {
  it('is base64url(SHA-256(SPKI DER)) without padding: the vector of §5.1', () => {
    // The SPKI of the Ed25519 public key d75a9801…511a (RFC 8032 §7.1 test 1).
    const spki = Buffer.from(
      '302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      'hex',
    );
    expect(relayCertFingerprint(spki)).toBe(createHash('sha256').update(spki).digest('base64url'));
    expect(relayCertFingerprint(spki)).toBe('BuP9j9opu2CrWVV95h7bCuzbIxE0vjDnW0Vfjht5L6k');
    expect(relayCertFingerprint(spki)).toHaveLength(43);
  });
  it('shape check refuses non-canonical or wrong-length text', () => {
    const fp = relayCertFingerprint(new Uint8Array([1]));
    expect(isRelayCertFingerprint(fp)).toBe(true);
    expect(isRelayCertFingerprint(fp.slice(1))).toBe(false);
    expect(isRelayCertFingerprint(`${fp}=`)).toBe(false);
    // The last character's two low bits are padding and must be zero.
    expect(isRelayCertFingerprint(`${'A'.repeat(42)}E`)).toBe(true);
    expect(isRelayCertFingerprint(`${'A'.repeat(42)}B`)).toBe(false);
    expect(isRelayCertFingerprint('+'.repeat(43))).toBe(false);
    expect(() => relayCertFingerprint(new Uint8Array(0))).toThrow(TypeError);
  });
});
