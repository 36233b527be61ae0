/**
 * Project Wycheproof vectors for the v2 primitives (vendored in packages/crypto/test/vectors/wycheproof): ML-KEM-768
 * key generation, encapsulation and decapsulation, and ChaCha20-Poly1305 (the ratchet's AEAD, §20.4).
 */
import { describe, expect, it } from 'vitest';
import { expectCryptoError, hex, loadVectors } from '../test/helpers.js';
import { aeadOpen, aeadSeal, mlkemDecapsulate, mlkemEncapsulate, mlkemKeyPair, toHex } from './index.js';

interface Suite<T> {
  numberOfTests: number;
  testGroups: { tests: T[]; parameterSet?: string; ivSize?: number }[];
}
type Result = 'valid' | 'invalid' | 'acceptable';
const all = <T>(s: Suite<T>): T[] => s.testGroups.flatMap((g) => g.tests);

describe('Wycheproof mlkem_768_test.json (seed → keys, decapsulation)', () => {
  const suite =
    loadVectors<
      Suite<{ tcId: number; comment?: string; seed: string; ek: string; c: string; K: string; result: Result }>
    >('mlkem_768_test.json');
  const tests = all(suite);

  it('has all 193 cases, all ML-KEM-768', () => {
    expect(tests).toHaveLength(193);
    expect(suite.testGroups.every((g) => g.parameterSet === 'ML-KEM-768')).toBe(true);
  });

  it('every case behaves as its result says', () => {
    let refused = 0;
    for (const t of tests) {
      const run = (): string => {
        const seed = hex(t.seed);
        if (seed.length !== 64) throw new RangeError('seed length');
        const pair = mlkemKeyPair(seed);
        expect(toHex(pair.publicKey), `tcId ${t.tcId}`).toBe(t.ek);
        return toHex(mlkemDecapsulate(hex(t.c), pair.secretKey));
      };
      if (t.result === 'valid') {
        expect(run(), `tcId ${t.tcId} ${t.comment ?? ''}`).toBe(t.K);
      } else {
        // Invalid cases are a seed or a ciphertext of the wrong length: a RangeError for our own seed, KEM_INVALID
        // for a ciphertext from someone else.
        const e = (() => {
          try {
            run();
          } catch (err) {
            return err;
          }
          return undefined;
        })();
        expect(e, `tcId ${t.tcId} ${t.comment ?? ''}`).toBeDefined();
        if (!(e instanceof RangeError)) expectCryptoError(() => run(), 'KEM_INVALID');
        refused++;
      }
    }
    expect(refused).toBe(40);
  });
});

describe('Wycheproof mlkem_768_encaps_test.json (encapsulation with fixed m)', () => {
  const suite =
    loadVectors<Suite<{ tcId: number; comment?: string; ek: string; m: string; c: string; K: string; result: Result }>>(
      'mlkem_768_encaps_test.json',
    );
  const tests = all(suite);

  it('has all 265 cases', () => expect(tests).toHaveLength(265));

  it('every case behaves as its result says; invalid keys are KEM_INVALID', () => {
    for (const t of tests) {
      const run = () => mlkemEncapsulate(hex(t.ek), hex(t.m));
      if (t.result === 'valid') {
        const { cipherText, sharedSecret } = run();
        expect(toHex(cipherText), `tcId ${t.tcId}`).toBe(t.c);
        expect(toHex(sharedSecret), `tcId ${t.tcId}`).toBe(t.K);
      } else {
        expectCryptoError(run, 'KEM_INVALID');
      }
    }
  });
});

describe('Wycheproof chacha20_poly1305_test.json', () => {
  const suite =
    loadVectors<
      Suite<{
        tcId: number;
        key: string;
        iv: string;
        aad: string;
        msg: string;
        ct: string;
        tag: string;
        result: Result;
      }>
    >('chacha20_poly1305_test.json');

  it('has all 325 cases', () => expect(all(suite)).toHaveLength(325));

  it('seals valid cases to ct ‖ tag and opens them; refuses every invalid one', () => {
    let refused = 0;
    for (const g of suite.testGroups) {
      for (const t of g.tests) {
        const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)];
        const sealed = hex(t.ct + t.tag);
        if (g.ivSize !== 96) {
          // Only 12-byte nonces exist in v2; other sizes are a programmer error here.
          expect(() => aeadOpen(sealed, key, iv, aad), `tcId ${t.tcId}`).toThrow(RangeError);
          refused++;
        } else if (t.result === 'valid') {
          expect(toHex(aeadSeal(msg, key, iv, aad)), `tcId ${t.tcId}`).toBe(t.ct + t.tag);
          expect(toHex(aeadOpen(sealed, key, iv, aad)), `tcId ${t.tcId}`).toBe(t.msg);
        } else {
          expectCryptoError(() => aeadOpen(sealed, key, iv, aad), 'RATCHET_DECRYPT_FAILED');
          refused++;
        }
      }
    }
    expect(refused).toBe(69);
  });
});
