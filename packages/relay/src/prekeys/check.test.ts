import { describe, expect, it } from 'vitest';
import { PrekeyType, generateIdentity, mlkemKeyPair, signPrekey, x25519KeyPair } from '@chat/crypto';
import type { PrekeyPutFrame, PrekeyTypeByte } from '@chat/protocol';
import { checkPrekeyBatch, mlkemModulusOk } from './check.js';

const bob = generateIdentity();
const sign = (type: PrekeyType, id: number, key: Uint8Array, as = 'bob') =>
  signPrekey(type, as, id, key, bob.identity.secretKey);
const put = (...keys: ReturnType<typeof sign>[]): PrekeyPutFrame => ({
  t: 'prekey_put',
  rid: 1,
  types: keys.map((k) => k.type as PrekeyTypeByte),
  ids: keys.map((k) => k.keyId),
  keys: keys.map((k) => k.publicKey),
  sigs: keys.map((k) => k.signature),
});

describe('mlkemModulusOk (FIPS 203 §7.2)', () => {
  it('accepts a real key, whatever its last 32 bytes (ρ, not coefficients)', () => {
    const key = mlkemKeyPair().publicKey;
    expect(mlkemModulusOk(key)).toBe(true);
    key.fill(0xff, 1152);
    expect(mlkemModulusOk(key)).toBe(true);
  });

  it('refuses a coefficient of q = 3,329 in either half of a 3-byte group, accepts q − 1', () => {
    const key = new Uint8Array(1184);
    key.set([0x01, 0x0d], 300); // first coefficient of group 100: 0xd01 = 3329
    expect(mlkemModulusOk(key)).toBe(false);
    key.set([0x00, 0x0d], 300); // 0xd00 = 3328
    expect(mlkemModulusOk(key)).toBe(true);
    key.set([0x00, 0x10, 0xd0], 1149); // second coefficient of the last group: (0x10 >> 4) | (0xd0 << 4) = 3329
    expect(mlkemModulusOk(key)).toBe(false);
  });
});

describe('checkPrekeyBatch (PROTOCOL.md §23.3 steps 1–3)', () => {
  const spk = sign(PrekeyType.x25519Signed, 1, x25519KeyPair().publicKey);
  const opk = sign(PrekeyType.x25519OneTime, 5, x25519KeyPair().publicKey);

  it('returns the entries of a good batch, and an empty batch as empty', () => {
    expect(checkPrekeyBatch(put(spk, opk), 'bob', bob.identity.publicKey)).toEqual([
      { type: 1, keyId: 1, key: spk.publicKey, sig: spk.signature },
      { type: 2, keyId: 5, key: opk.publicKey, sig: opk.signature },
    ]);
    expect(checkPrekeyBatch(put(), 'bob', bob.identity.publicKey)).toEqual([]);
  });

  it('names the first bad entry, with its code', () => {
    const other = generateIdentity().identity.publicKey;
    const cases: [PrekeyPutFrame, string, RegExp][] = [
      [put(spk, opk), 'PREKEY_BAD_SIGNATURE', /^entry 0: .*bob/],
      [
        put(opk, sign(PrekeyType.x25519OneTime, 6, x25519KeyPair().publicKey, 'mallory')),
        'PREKEY_BAD_SIGNATURE',
        /^entry 1/,
      ],
      [put(spk, sign(PrekeyType.x25519Signed, 2, x25519KeyPair().publicKey)), 'PREKEY_INVALID', /^entry 1: a second/],
      [put(opk, opk), 'PREKEY_INVALID', /^entry 1: key id 5 of type 2 twice/],
      [put(sign(PrekeyType.x25519OneTime, 7, new Uint8Array(32))), 'PREKEY_INVALID', /^entry 0/],
    ];
    for (const [i, [frame, code, msg]] of cases.entries()) {
      const r = checkPrekeyBatch(frame, 'bob', i === 0 ? other : bob.identity.publicKey);
      expect(r).toMatchObject({ code });
      expect((r as { msg: string }).msg).toMatch(msg);
    }
  });

  it('allows one key id for both one-time kinds (the id is unique per type, §18.1)', () => {
    const pq = sign(PrekeyType.mlkemOneTime, 5, mlkemKeyPair().publicKey);
    expect(checkPrekeyBatch(put(opk, pq), 'bob', bob.identity.publicKey)).toHaveLength(2);
  });
});
