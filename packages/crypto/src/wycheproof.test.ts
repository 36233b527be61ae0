/**
 * Project Wycheproof X25519 and Ed25519 vectors (vendored in packages/crypto/test/vectors/wycheproof), against the node:crypto path and the
 * tweetnacl reference; every case must behave as its `result` says.
 */
import { describe, expect, it } from 'vitest';
import { expectCryptoError, hex, libsodium, loadVectors } from '../test/helpers.js';
import { reference, toHex, verify, x25519 } from './index.js';
import { x25519Uncached } from './x25519.js';

interface XdhTest {
  tcId: number;
  comment: string;
  flags: string[];
  public: string;
  private: string;
  shared: string;
  result: 'valid' | 'acceptable' | 'invalid';
}
interface EddsaTest {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'acceptable' | 'invalid';
}
interface Suite<G> {
  numberOfTests: number;
  testGroups: G[];
}

const xdh = loadVectors<Suite<{ curve: string; tests: XdhTest[] }>>('x25519_test.json');
const eddsa = loadVectors<Suite<{ publicKey: { pk: string }; tests: EddsaTest[] }>>('ed25519_test.json');
const xdhTests = xdh.testGroups.flatMap((g) => g.tests);
const eddsaTests = eddsa.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, pk: g.publicKey.pk })));
const ZERO = '00'.repeat(32);

const implementations = [
  ['ours (X25519 on node:crypto, verify on libsodium)', { x25519, verify }],
  ['reference (tweetnacl)', { x25519: reference.x25519, verify: reference.verify }],
] as const;

/** X25519 has a third: libsodium's, which the short-lived keys (prekeys, ephemerals, ratchet keys) go through. */
const xdhImplementations = [
  ...implementations.map(([name, impl]) => [name, impl.x25519] as const),
  ['libsodium (x25519Uncached)', x25519Uncached] as const,
];

describe('Wycheproof x25519_test.json', () => {
  it('has all 518 cases, all on curve25519', () => {
    expect(xdhTests).toHaveLength(518);
    expect(xdh.numberOfTests).toBe(518);
    expect(xdh.testGroups.every((g) => g.curve === 'curve25519')).toBe(true);
  });

  /*
   * Our choice for `acceptable` cases (RFC 7748 leaves it open):
   * - an all-zero shared secret (flag ZeroSharedSecret: low-order public keys) is refused with LOW_ORDER_POINT,
   *   as RFC 7748 §6.1 and PROTOCOL.md §2 require;
   * - every other acceptable case (twist points, non-canonical u ≥ 2^255 − 19, high bit set, edge cases) is computed
   *   per RFC 7748 §5 and must equal `shared`. Raw x25519 accepts such keys; canonicality is enforced where keys are
   *   accepted into bundles (isCanonicalX25519PublicKey / verifyBundle).
   * No case contradicts this: the vectors mark a case ZeroSharedSecret exactly when `shared` is all zero, and
   * there are no `invalid` cases (asserted below, so a new vector file cannot silently change the picture).
   */
  it('flags ZeroSharedSecret exactly when shared is all zero, and only on acceptable cases', () => {
    for (const t of xdhTests) {
      expect(t.flags.includes('ZeroSharedSecret'), `tcId ${t.tcId}`).toBe(t.shared === ZERO);
      if (t.shared === ZERO) expect(t.result).toBe('acceptable');
    }
    expect(xdhTests.filter((t) => t.result === 'invalid')).toEqual([]);
  });

  for (const [name, xdhOf] of xdhImplementations) {
    it(`every case behaves as its result says: ${name}`, () => {
      let refused = 0;
      for (const t of xdhTests) {
        const run = (): Uint8Array => xdhOf(hex(t.private), hex(t.public));
        if (t.result === 'invalid' || t.shared === ZERO) {
          expectCryptoError(run, 'LOW_ORDER_POINT');
          refused++;
        } else {
          expect(toHex(run()), `tcId ${t.tcId} (${t.result}: ${t.flags.join(', ')})`).toBe(t.shared);
        }
      }
      expect(refused).toBe(xdhTests.filter((t) => t.shared === ZERO).length);
      expect(refused).toBeGreaterThan(0);
    });
  }
});

describe('Wycheproof ed25519_test.json', () => {
  it('has all 151 cases and no acceptable ones', () => {
    expect(eddsaTests).toHaveLength(151);
    expect(eddsa.numberOfTests).toBe(151);
    expect(eddsaTests.filter((t) => t.result === 'acceptable')).toEqual([]);
  });

  for (const [name, impl] of implementations) {
    it(`every case behaves as its result says: ${name}`, () => {
      for (const t of eddsaTests) {
        const ok = impl.verify(hex(t.sig), hex(t.msg), hex(t.pk));
        expect(ok, `tcId ${t.tcId} (${t.result}: ${t.flags.join(', ')} ${t.comment})`).toBe(t.result === 'valid');
      }
    });
  }

  it('libsodium agrees on every case (the same strictness, from a third implementation)', async () => {
    const sodium = await libsodium();
    for (const t of eddsaTests) {
      let ok: boolean;
      try {
        ok = sodium.crypto_sign_verify_detached(hex(t.sig), hex(t.msg), hex(t.pk));
      } catch {
        ok = false; // libsodium-wrappers throws on a signature that is not 64 bytes
      }
      expect(ok, `tcId ${t.tcId}`).toBe(t.result === 'valid');
    }
  });
});
