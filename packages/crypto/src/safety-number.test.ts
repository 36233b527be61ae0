import { describe, expect, it } from 'vitest';
import { generateIdentity } from './identity.js';
import { formatSafetyNumber, safetyNumber, safetyNumberHalf, safetyNumberMatches } from './safety-number.js';

// RFC 8032 §7.1 tests 1 and 2: public keys only, so the vector can be recomputed anywhere (PROTOCOL.md §3.5).
const ALICE_PK = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
const BOB_PK = Buffer.from('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'hex');
const VECTOR = '08360 32126 26740 81100 61261 13375 42717 59880 25314 75108 43454 85907';

describe('safety numbers (PROTOCOL.md §3.5)', () => {
  it('match the test vector of §3.5 (also computed with Python hashlib when the spec was written)', () => {
    expect(safetyNumberHalf('alice', ALICE_PK)).toBe('083603212626740811006126113375');
    expect(safetyNumberHalf('bob', BOB_PK)).toBe('427175988025314751084345485907');
    expect(formatSafetyNumber(safetyNumber('alice', ALICE_PK, 'bob', BOB_PK))).toBe(VECTOR);
  });

  it('are 60 digits in 12 groups of 5, the same on both sides', () => {
    const a = generateIdentity().identity.publicKey;
    const b = generateIdentity().identity.publicKey;
    const n = safetyNumber('alice', a, 'bob', b);
    expect(n).toMatch(/^\d{60}$/);
    expect(safetyNumber('bob', b, 'alice', a)).toBe(n);
    expect(formatSafetyNumber(n)).toMatch(/^(\d{5} ){11}\d{5}$/);
  });

  it('change with either key or either username', () => {
    const n = safetyNumber('alice', ALICE_PK, 'bob', BOB_PK);
    const other = generateIdentity().identity.publicKey;
    expect(safetyNumber('alice', ALICE_PK, 'bob', other)).not.toBe(n);
    expect(safetyNumber('alice', other, 'bob', BOB_PK)).not.toBe(n);
    expect(safetyNumber('alice', ALICE_PK, 'bobby', BOB_PK)).not.toBe(n);
    expect(safetyNumber('carol', ALICE_PK, 'bob', BOB_PK)).not.toBe(n);
  });

  it('compare typed digits ignoring spaces and dashes, and nothing else', () => {
    const n = safetyNumber('alice', ALICE_PK, 'bob', BOB_PK);
    expect(safetyNumberMatches(VECTOR, n)).toBe(true);
    expect(safetyNumberMatches(VECTOR.replace(/ /g, '-'), n)).toBe(true);
    expect(safetyNumberMatches(VECTOR.replace(/ /g, '\n'), n)).toBe(true);
    expect(safetyNumberMatches(VECTOR.replace(/7$/, '8'), n)).toBe(false);
    expect(safetyNumberMatches(VECTOR.slice(0, -1), n)).toBe(false);
    expect(safetyNumberMatches(`${VECTOR}0`, n)).toBe(false);
    expect(safetyNumberMatches(VECTOR.replace('0', 'O'), n)).toBe(false);
    expect(safetyNumberMatches('', n)).toBe(false);
  });

  it('refuse bad input with TypeError', () => {
    expect(() => safetyNumberHalf('Alice', ALICE_PK)).toThrow(TypeError);
    expect(() => safetyNumberHalf('alice', ALICE_PK.subarray(1))).toThrow(TypeError);
  });
});
