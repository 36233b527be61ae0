/** Usernames (PROTOCOL.md §3.1) and key bundles (§3.2). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError, flip, hex, le32, P } from '../test/helpers.js';
import {
  bundleMessage,
  checkEncryptionPublicKey,
  generateIdentity,
  isValidUsername,
  sign,
  signBundle,
  toHex,
  USERNAME_PATTERN,
  verifyBundle,
  type KeyBundle,
} from './index.js';

describe('usernames', () => {
  it('accepts 3 to 32 of [a-z0-9_-] starting with a letter', () => {
    for (const ok of ['abc', 'alice', 'a_b-c9', 'z'.repeat(32), 'a00']) expect(isValidUsername(ok), ok).toBe(true);
  });

  it('rejects everything else', () => {
    const bad = [
      '',
      'ab',
      'a'.repeat(33),
      'Alice',
      '9lives',
      '_ab',
      '-ab',
      'al ice',
      'alice\n',
      'ålice',
      'bob!',
      'ab\0c',
    ];
    for (const name of bad) expect(isValidUsername(name), JSON.stringify(name)).toBe(false);
    expect(isValidUsername(42 as unknown as string)).toBe(false);
    expect(USERNAME_PATTERN.flags).toBe(''); // no g/y: test() keeps no lastIndex state
  });

  it('matches the pattern exactly (fast-check against a hand-written check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcxyz09_-AZ .é\n'), maxLength: 40 }), (s) => {
        const expected =
          s.length >= 3 && s.length <= 32 && /[a-z]/.test(s[0] ?? '') && [...s].every((c) => /[a-z0-9_-]/.test(c));
        expect(isValidUsername(s)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('key bundles', () => {
  const alice = generateIdentity();
  const bob = generateIdentity();

  it('bundleMessage is the §3.2 layout', () => {
    const msg = bundleMessage('alice', alice.identity.publicKey, alice.encryption.publicKey);
    const expected =
      toHex(Buffer.from('chat/v1/bundle\0alice', 'ascii')).replace('00616c696365', '0005616c696365') +
      toHex(alice.identity.publicKey) +
      toHex(alice.encryption.publicKey);
    expect(toHex(msg)).toBe(expected);
    expect(msg).toHaveLength(15 + 1 + 5 + 64);
  });

  it('a signed bundle verifies', () => {
    const bundle = signBundle('alice', alice);
    expect(() => verifyBundle(bundle)).not.toThrow();
    expect(toHex(bundle.identityPublicKey)).toBe(toHex(alice.identity.publicKey));
    expect(toHex(bundle.encryptionPublicKey)).toBe(toHex(alice.encryption.publicKey));
  });

  it('a bundle under another username fails (a relay cannot present Carol as Bob)', () => {
    expectCryptoError(() => verifyBundle({ ...signBundle('carol', alice), username: 'bob' }), 'BUNDLE_INVALID');
  });

  it('swapped keys, someone else’s key, or any flipped signature bit fail', () => {
    const b = signBundle('alice', alice);
    expectCryptoError(
      () => verifyBundle({ ...b, identityPublicKey: b.encryptionPublicKey, encryptionPublicKey: b.identityPublicKey }),
      'BUNDLE_INVALID',
    );
    expectCryptoError(() => verifyBundle({ ...b, encryptionPublicKey: bob.encryption.publicKey }), 'BUNDLE_INVALID');
    expectCryptoError(() => verifyBundle({ ...b, identityPublicKey: bob.identity.publicKey }), 'BUNDLE_INVALID');
    for (let i = 0; i < 64; i++) {
      expectCryptoError(() => verifyBundle({ ...b, signature: flip(b.signature, i, 0x80) }), 'BUNDLE_INVALID');
    }
  });

  /** A bundle whose signature is valid over `encryptionPublicKey`, so only the key check can refuse it. */
  function signedWith(encryptionPublicKey: Uint8Array): KeyBundle {
    const message = bundleMessage('alice', alice.identity.publicKey, encryptionPublicKey);
    return {
      username: 'alice',
      identityPublicKey: alice.identity.publicKey,
      encryptionPublicKey,
      signature: sign(message, alice.identity.secretKey),
    };
  }

  it('refuses an all-zero, low-order or non-canonical encryption key even when correctly signed', () => {
    const cases = {
      'all zero': new Uint8Array(32),
      'low order 1': le32(1n),
      'low order 8': hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
      'low order p−1': le32(P - 1n),
      'non-canonical p + 9': le32(P + 9n),
      'high bit set': le32(BigInt(`0x${toHex(alice.encryption.publicKey.slice().reverse())}`) | (1n << 255n)),
    };
    for (const [name, key] of Object.entries(cases)) {
      const e = expectCryptoError(() => verifyBundle(signedWith(key)), 'BUNDLE_INVALID');
      expect(e.message, name).toMatch(/encryption key/);
    }
    expect(() => verifyBundle(signedWith(bob.encryption.publicKey))).not.toThrow(); // the control
  });

  it('refuses wrong lengths and types with BUNDLE_INVALID, never another error', () => {
    const b = signBundle('alice', alice);
    const broken: unknown[] = [
      null,
      {},
      { ...b, username: 'Alice' },
      { ...b, identityPublicKey: b.identityPublicKey.subarray(1) },
      { ...b, encryptionPublicKey: Uint8Array.from([...b.encryptionPublicKey, 0]) },
      { ...b, signature: b.signature.subarray(0, 63) },
      { ...b, signature: 'sig' },
      { ...b, identityPublicKey: [...b.identityPublicKey] },
    ];
    for (const x of broken) expectCryptoError(() => verifyBundle(x as KeyBundle), 'BUNDLE_INVALID');
  });

  it('signBundle / bundleMessage encode any len8 username (for tools and tests); verifyBundle refuses it', () => {
    const bad = signBundle('Bad Name', alice);
    expectCryptoError(() => verifyBundle(bad), 'BUNDLE_INVALID');
    expect(bundleMessage('é', alice.identity.publicKey, alice.encryption.publicKey)[15]).toBe(2); // len8 in bytes
    expect(() => signBundle('', alice)).toThrow(RangeError);
    expect(() => signBundle('a'.repeat(256), alice)).toThrow(/1\.\.255 UTF-8 bytes/);
    expect(() => signBundle('a\uD800', alice)).toThrow(TypeError);
    expect(() => signBundle('a\uD83D\uDE00', alice)).not.toThrow(); // a pair is fine
  });

  it('signBundle / bundleMessage refuse bad key lengths and types as programmer errors', () => {
    expect(() => bundleMessage('alice', new Uint8Array(31), alice.encryption.publicKey)).toThrow(RangeError);
    expect(() => bundleMessage(7 as unknown as string, alice.identity.publicKey, alice.encryption.publicKey)).toThrow(
      TypeError,
    );
  });

  it('checkEncryptionPublicKey names the problem', () => {
    expectCryptoError(() => checkEncryptionPublicKey(new Uint8Array(31)), 'BAD_LENGTH');
    expectCryptoError(() => checkEncryptionPublicKey(le32(P)), 'NON_CANONICAL_KEY');
    expectCryptoError(() => checkEncryptionPublicKey(new Uint8Array(32)), 'LOW_ORDER_POINT');
    expect(() => checkEncryptionPublicKey(alice.encryption.publicKey)).not.toThrow();
  });
});
