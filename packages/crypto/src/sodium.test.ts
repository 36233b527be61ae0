/**
 * The libsodium addon's loader and its checked calls (sodium.ts). The published addon does not check lengths itself
 * (its C++ assertions are compiled out) and takes raw ArrayBuffers: every call is checked and its arguments made plain
 * here, so a wrong length is a RangeError, never a read or write past a buffer.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateIdentity, sign, x25519KeyPair } from './index.js';
import {
  aeadDecrypt,
  aeadEncrypt,
  boxSeal,
  boxSealOpen,
  loadSodiumAddon,
  scalarmult,
  scalarmultBase,
  sha256OwnInto,
  signVerifyDetached,
} from './sodium.js';

/** A copy of `b` in a SharedArrayBuffer, at an offset (what libsodium must not be handed as is). */
function shared(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(b.length + 8), 8, b.length);
  out.set(b);
  return out;
}

describe('sodium.ts', () => {
  it('seals and opens a box through the prebuilt addon for this platform', () => {
    const { publicKey, secretKey } = x25519KeyPair();
    const c = boxSeal(Uint8Array.of(1, 2, 3), publicKey)!;
    expect(c.length).toBe(51);
    expect([...boxSealOpen(c, publicKey, 0, secretKey, 0)!]).toEqual([1, 2, 3]);
    c[50] = (c[50] as number) ^ 1;
    expect(boxSealOpen(c, publicKey, 0, secretKey, 0)).toBeUndefined();
  });

  it('loads an addon only from inside the installed package: none there for the host is an error naming both', () => {
    expect(() => loadSodiumAddon('no-such-platform')).toThrow(/sodium-native in .* has no addon for no-such-platform/);
  });

  it('refuses a wrong length or offset before libsodium sees it', () => {
    const { publicKey: pk, secretKey: sk } = x25519KeyPair();
    const box = boxSeal(new Uint8Array(10), pk)!;
    expect(() => boxSeal(new Uint8Array(1), pk.subarray(1))).toThrow(RangeError);
    expect(() => boxSealOpen(box.subarray(0, 47), pk, 0, sk, 0)).toThrow(RangeError);
    expect(() => boxSealOpen(box, pk, 1, sk, 0)).toThrow(RangeError);
    expect(() => boxSealOpen(box, pk, 0, sk, -1)).toThrow(RangeError);
    expect(() => boxSealOpen(box, pk, 0, sk.subarray(0, 31), 0)).toThrow(RangeError);
    expect(() => scalarmult(new Uint8Array(32), sk, pk.subarray(0, 31))).toThrow(RangeError);
    expect(() => scalarmult(new Uint8Array(16), sk, pk)).toThrow(RangeError);
    expect(() => scalarmultBase(new Uint8Array(31), sk)).toThrow(RangeError);
    expect(() => scalarmultBase(new Uint8Array(32), sk.subarray(1))).toThrow(RangeError);
    expect(() => signVerifyDetached(new Uint8Array(63), new Uint8Array(1), pk)).toThrow(RangeError);
    expect(() => signVerifyDetached(new Uint8Array(64), new Uint8Array(1), pk.subarray(1))).toThrow(RangeError);
    const [k, n] = [new Uint8Array(32), new Uint8Array(12)];
    expect(() => aeadEncrypt(new Uint8Array(3), new Uint8Array(0), n.subarray(1), k)).toThrow(RangeError);
    expect(() => aeadEncrypt(new Uint8Array(3), new Uint8Array(0), n, k.subarray(1))).toThrow(RangeError);
    expect(() => aeadDecrypt(new Uint8Array(15), new Uint8Array(0), n, k)).toThrow(RangeError);
    expect(() => sha256OwnInto(new Uint8Array(31), new Uint8Array(3))).toThrow(RangeError);
    expect(() => sha256OwnInto(new Uint8Array(64), new Uint8Array(3))).toThrow(RangeError);
  });

  it('hands libsodium a copy of an argument in a SharedArrayBuffer: the same results as for a plain one', () => {
    const { publicKey: pk, secretKey: sk } = x25519KeyPair();
    const box = boxSeal(shared(Uint8Array.of(7, 8)), shared(pk))!;
    expect([...boxSealOpen(shared(box), shared(pk), 0, shared(sk), 0)!]).toEqual([7, 8]);
    const [k, n, ad] = [new Uint8Array(32).fill(1), new Uint8Array(12).fill(2), Uint8Array.of(3)];
    const c = aeadEncrypt(shared(Uint8Array.of(9)), shared(ad), shared(n), shared(k));
    expect(c).toEqual(aeadEncrypt(Uint8Array.of(9), ad, n, k));
    expect([...aeadDecrypt(shared(c), shared(ad), shared(n), shared(k))!]).toEqual([9]);
    const q = shared(new Uint8Array(32));
    expect(scalarmult(q, sk, pk)).toBe(true);
    expect(q.some((b) => b !== 0)).toBe(true);
    const pub = shared(new Uint8Array(32));
    scalarmultBase(pub, shared(sk));
    expect(pub).toEqual(pk);
    const id = generateIdentity().identity;
    const m = Uint8Array.of(4, 5, 6);
    const sig = sign(m, id.secretKey);
    expect(signVerifyDetached(shared(sig), shared(m), shared(id.publicKey))).toBe(true);
    sig[0] = (sig[0] as number) ^ 1;
    expect(signVerifyDetached(shared(sig), shared(m), shared(id.publicKey))).toBe(false);
  });

  it('reads each argument at its own offset in a larger ArrayBuffer, junk around it', () => {
    // A view of `b` at offset 5 of a buffer filled with 0xaa: an offset dropped on the way to the addon reads junk.
    const inside = (b: Uint8Array): Uint8Array => {
      const buf = new Uint8Array(new ArrayBuffer(b.length + 11)).fill(0xaa);
      buf.set(b, 5);
      return buf.subarray(5, 5 + b.length);
    };
    const id = generateIdentity().identity;
    const m = Uint8Array.of(4, 5, 6, 7);
    const sig = sign(m, id.secretKey);
    expect(signVerifyDetached(inside(sig), inside(m), inside(id.publicKey))).toBe(true);
    expect(signVerifyDetached(inside(sig), inside(m.subarray(1)), inside(id.publicKey))).toBe(false);
    const { publicKey: pk, secretKey: sk } = x25519KeyPair();
    const pub = inside(new Uint8Array(32));
    scalarmultBase(pub, inside(sk));
    expect(pub).toEqual(pk);
    const [q1, q2] = [inside(new Uint8Array(32)), new Uint8Array(32)];
    const other = x25519KeyPair();
    expect(scalarmult(q1, inside(sk), inside(other.publicKey))).toBe(true);
    expect(scalarmult(q2, other.secretKey, pk)).toBe(true);
    expect(q1).toEqual(q2);
  });

  it("refuses a message past the addon's 32-bit lengths (it would reduce 2^32 bytes to none)", () => {
    const huge = new Uint8Array(2 ** 32); // untouched pages: nothing is really allocated
    const id = generateIdentity().identity;
    const emptySig = sign(new Uint8Array(0), id.secretKey);
    expect(() => signVerifyDetached(emptySig, huge, id.publicKey)).toThrow(RangeError);
    const { publicKey: pk, secretKey: sk } = x25519KeyPair();
    expect(() => boxSealOpen(huge, pk, 0, sk, 0)).toThrow(RangeError);
  });

  it('sha256OwnInto (for kdf.ts and its own buffers only) is SHA-256', () => {
    const digest = new Uint8Array(new ArrayBuffer(32));
    sha256OwnInto(digest, Uint8Array.of(1, 2, 3));
    expect(Buffer.from(digest).toString('hex')).toBe(
      createHash('sha256')
        .update(Uint8Array.of(1, 2, 3))
        .digest('hex'),
    );
  });
});
