/** Ed25519: RFC 8032 known answer, agreement with the reference and libsodium, and PROTOCOL.md §2's strictness. */
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { BASE, challenge, decode, encode, fromY, IDENTITY, isIdentity, L, mul, secretScalar } from '../test/edwards.js';
import { flip, fromLe, hex, le32, libsodium, P } from '../test/helpers.js';
import { identityFromSecrets, reference, sign, toHex, verify } from './index.js';
import { isCanonicalEdPoint, isCanonicalScalar, isSmallOrderEdPoint, passesEd25519Prechecks } from './strict.js';
import { scaled } from '../../../test/fixtures/scale.js';

/** tweetnacl's reference is slow: 50 cases per property at the CI size, 200 under CHAT_TEST_SCALE=long. */
const RUNS = scaled(50, 200);

const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const msgArb = fc.uint8Array({ maxLength: 300 });
const bothVerify = [
  ['ours (libsodium)', verify],
  ['reference', reference.verify],
] as const;

describe('sign', () => {
  it('matches RFC 8032 §7.1 TEST 1 on both paths', () => {
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const expected =
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155' +
      '5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
    expect(toHex(sign(new Uint8Array(0), seed))).toBe(expected);
    expect(toHex(reference.sign(new Uint8Array(0), seed))).toBe(expected);
    expect(toHex(identityFromSecrets(seed, seed).identity.publicKey)).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
  });

  it('agrees byte for byte with the reference and with libsodium crypto_sign_detached', async () => {
    const sodium = await libsodium();
    fc.assert(
      fc.property(seedArb, msgArb, (seed, m) => {
        const sig = sign(m, seed);
        expect(sig).toBeInstanceOf(Uint8Array);
        expect(sig).toHaveLength(64);
        expect(toHex(reference.sign(m, seed))).toBe(toHex(sig));
        expect(toHex(sodium.crypto_sign_detached(m, sodium.crypto_sign_seed_keypair(seed).privateKey))).toBe(
          toHex(sig),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects bad arguments with TypeError / RangeError', () => {
    expect(() => sign(new Uint8Array(1), new Uint8Array(64))).toThrow(RangeError);
    expect(() => sign(new Uint8Array(1), new Uint8Array(31))).toThrow(/expected secretKey .* 32 bytes, got 31/);
    expect(() => sign('hi' as unknown as Uint8Array, new Uint8Array(32))).toThrow(TypeError);
  });
});

describe('verify', () => {
  it('both paths accept genuine signatures and reject any single-bit change, identically (fast-check)', () => {
    fc.assert(
      fc.property(seedArb, msgArb, fc.nat(), fc.integer({ min: 0, max: 2 }), (seed, m, pos, what) => {
        const pk = identityFromSecrets(seed, seed).identity.publicKey;
        const sig = sign(m, seed);
        expect(verify(sig, m, pk)).toBe(true);
        expect(reference.verify(sig, m, pk)).toBe(true);
        // Corrupt the signature, the message or the key.
        let [s, mm, k]: [Uint8Array, Uint8Array, Uint8Array] = [sig, m, pk];
        if (what === 0) s = flip(sig, pos % 64, 1 << (pos % 8));
        else if (what === 1) mm = m.length === 0 ? Uint8Array.of(0) : flip(m, pos % m.length, 1 << (pos % 8));
        else k = flip(pk, pos % 32, 1 << (pos % 8));
        const ours = verify(s, mm, k);
        expect(ours).toBe(false);
        expect(reference.verify(s, mm, k)).toBe(ours);
      }),
      { numRuns: RUNS },
    );
  });

  it('returns false, without throwing, for signatures that are not 64 bytes', () => {
    const seed = new Uint8Array(32).fill(7);
    const pk = identityFromSecrets(seed, seed).identity.publicKey;
    const sig = sign(Uint8Array.of(1), seed);
    for (const [, v] of bothVerify) {
      for (const bad of [new Uint8Array(0), sig.subarray(0, 63), Uint8Array.from([...sig, 0])]) {
        expect(v(bad, Uint8Array.of(1), pk)).toBe(false);
      }
      expect(() => v(sig, Uint8Array.of(1), pk.subarray(0, 31))).toThrow(RangeError);
      expect(() => v(sig, 'x' as unknown as Uint8Array, pk)).toThrow(TypeError);
    }
  });

  it('returns false, without throwing, for a canonical key whose y is on no curve point', () => {
    let y = 2n;
    while (fromY(y, 0) !== undefined) y++; // about half of all y have no x
    const offCurve = le32(y);
    expect(isCanonicalEdPoint(offCurve) && !isSmallOrderEdPoint(offCurve)).toBe(true); // past the prechecks
    const id = identityFromSecrets(new Uint8Array(32).fill(7), new Uint8Array(32).fill(8));
    const m = Uint8Array.of(1, 2, 3);
    const sig = sign(m, id.identity.secretKey);
    expect(passesEd25519Prechecks(sig, offCurve)).toBe(true);
    for (const [, check] of bothVerify) expect(check(sig, m, offCurve)).toBe(false);
  });

  it('rejects S + ℓ (malleability, RFC 8032 §5.1.7 step 1) though tweetnacl alone accepts it', () => {
    const seed = new Uint8Array(32).fill(9);
    const pk = identityFromSecrets(seed, seed).identity.publicKey;
    const m = Uint8Array.of(1, 2, 3);
    const sig = sign(m, seed);
    const malleated = Uint8Array.from([...sig.subarray(0, 32), ...le32(fromLe(sig.subarray(32)) + L)]);
    expect(nacl.sign.detached.verify(m, malleated, pk)).toBe(true); // why the prechecks exist
    for (const [, v] of bothVerify) expect(v(malleated, m, pk)).toBe(false);
  });
});

describe('strict encodings (PROTOCOL.md §2)', () => {
  it('the small-order blocklist is exactly the y of the 8 torsion points', () => {
    // A point of order 8: any y in the list with [4]P ≠ identity.
    const t8 = decode(hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05')) ?? IDENTITY;
    expect(isIdentity(mul(8n, t8))).toBe(true);
    expect(isIdentity(mul(4n, t8))).toBe(false);
    const torsion = Array.from({ length: 8 }, (_, k) => mul(BigInt(k), t8));
    for (const p of torsion) expect(isSmallOrderEdPoint(encode(p))).toBe(true);
    const ys = new Set(torsion.map((p) => p.y));
    expect(ys.size).toBe(5);
    // A point of large order is not on the list.
    expect(isSmallOrderEdPoint(encode(mul(12345n, BASE)))).toBe(false);
    expect(toHex(encode(BASE))).toBe(`58${'66'.repeat(31)}`);
  });

  it('canonical points: y < p and no "−0"', () => {
    expect(isCanonicalEdPoint(le32(P - 1n))).toBe(true);
    expect(isCanonicalEdPoint(le32(P))).toBe(false);
    expect(isCanonicalEdPoint(le32(P + 1n))).toBe(false);
    expect(isCanonicalEdPoint(le32(2n ** 255n - 1n))).toBe(false);
    expect(isCanonicalEdPoint(le32(1n | (1n << 255n)))).toBe(false); // x = 0 with the sign bit
    expect(isCanonicalEdPoint(le32(P - 1n + (1n << 255n)))).toBe(false);
    expect(isCanonicalEdPoint(encode(mul(7n, BASE)))).toBe(true);
  });

  it('canonical scalars: S < ℓ', () => {
    expect(isCanonicalScalar(le32(L - 1n))).toBe(true);
    expect(isCanonicalScalar(le32(L))).toBe(false);
    expect(isCanonicalScalar(le32(L + 1n))).toBe(false);
    expect(isCanonicalScalar(le32(0n))).toBe(true);
    expect(isCanonicalScalar(le32(2n ** 256n - 1n))).toBe(false);
  });

  /** Signatures that a lenient verifier (tweetnacl alone) accepts but ours must not. */
  function forgeries(): { name: string; sig: Uint8Array; m: Uint8Array; pk: Uint8Array }[] {
    const m = Uint8Array.of(0x68, 0x69);
    const s = 0x1234567890abcdefn;
    const rs = Uint8Array.from([...encode(mul(s, BASE)), ...le32(s)]); // [S]B = R + [k]·identity
    const out = [
      { name: 'identity public key', sig: rs, m, pk: encode(IDENTITY) },
      { name: 'identity public key, non-canonical y = p + 1', sig: rs, m, pk: le32(P + 1n) },
      { name: 'identity public key, "−0"', sig: rs, m, pk: le32(1n | (1n << 255n)) },
    ];
    // An order-8 public key T: pick R = [s]B until H(R ‖ T ‖ m) ≡ 0 (mod 8), then [k]T is the identity.
    const t8 = encode(
      fromY(fromLe(hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')), 0) ?? IDENTITY,
    );
    for (let i = 1n; ; i++) {
      const r = encode(mul(s + i, BASE));
      if (challenge(r, t8, m) % 8n === 0n) {
        out.push({ name: 'order-8 public key', sig: Uint8Array.from([...r, ...le32(s + i)]), m, pk: t8 });
        break;
      }
    }
    // A genuine key, with R the identity: S = k·a makes [S]B = [k]A.
    const seed = new Uint8Array(32).fill(3);
    const pk = identityFromSecrets(seed, seed).identity.publicKey;
    const r = encode(IDENTITY);
    const sIdentity = (challenge(r, pk, m) * secretScalar(seed)) % L;
    out.push({ name: 'small-order R', sig: Uint8Array.from([...r, ...le32(sIdentity)]), m, pk });
    return out;
  }

  it('rejects small-order or non-canonical R and A on both paths, as libsodium does', async () => {
    const sodium = await libsodium();
    for (const { name, sig, m, pk } of forgeries()) {
      expect(nacl.sign.detached.verify(m, sig, pk), `${name}: tweetnacl alone accepts`).toBe(true);
      expect(passesEd25519Prechecks(sig, pk), name).toBe(false);
      expect(verify(sig, m, pk), name).toBe(false);
      expect(reference.verify(sig, m, pk), name).toBe(false);
      expect(sodium.crypto_sign_verify_detached(sig, m, pk), `${name}: libsodium`).toBe(false);
    }
  });
});
