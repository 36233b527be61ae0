/** PQXDH (PROTOCOL.md §18–§19): prekey signatures, agreement, the hybrid property, initiation codec and replay. */
import { describe, expect, it } from 'vitest';
import { expectCryptoError, flip } from '../test/helpers.js';
import { bobPrekeys, party } from '../test/v2-session.js';
import {
  checkNotReplayed,
  decodeInitiation,
  encodeInitiation,
  generateIdentity,
  mlkemDecapsulate,
  mlkemKeyPair,
  PrekeyType,
  pqxdhInitiate,
  pqxdhKdf,
  pqxdhReplayKey,
  pqxdhRespond,
  signPrekey,
  toHex,
  x25519,
  x25519KeyPair,
} from './index.js';

const alice = generateIdentity();
const bob = generateIdentity();
const A = party('alice', alice);
const B = party('bob', bob);

function agree(oneTime: boolean) {
  const keys = bobPrekeys(bob, oneTime);
  const ek = x25519KeyPair();
  const init = pqxdhInitiate(alice, 'alice', B, keys.bundle, { ephemeralSecretKey: ek.secretKey });
  return { keys, ek, init };
}

describe('PQXDH agreement', () => {
  for (const oneTime of [true, false]) {
    it(`both sides derive the same SK and AD (${oneTime ? 'one-time keys' : 'no OPK, last-resort ML-KEM key'})`, () => {
      const { keys, init } = agree(oneTime);
      const resp = pqxdhRespond(bob, 'bob', A, init.initiation, keys.private);
      expect(toHex(resp.sharedSecret)).toBe(toHex(init.sharedSecret));
      expect(toHex(resp.associatedData)).toBe(toHex(init.associatedData));
      expect(init.initiation.oneTimePrekeyId !== undefined).toBe(oneTime);
      expect(init.initiation.pqPrekeyType).toBe(oneTime ? PrekeyType.mlkemOneTime : PrekeyType.mlkemLastResort);
    });
  }

  it('hybrid: all the X25519 secrets without the ML-KEM key, or the ML-KEM key without them, miss SK', () => {
    const { keys, ek, init } = agree(true);
    const ct = init.initiation.kemCipherText;
    const pk = init.initiation.ephemeralPublicKey;
    const dhs = [
      x25519(keys.private.signedPrekey.secretKey, alice.encryption.publicKey),
      x25519(bob.encryption.secretKey, pk),
      x25519(keys.private.signedPrekey.secretKey, pk),
      x25519((keys.private.oneTimePrekey as { secretKey: Uint8Array }).secretKey, pk),
    ];
    expect(toHex(x25519(ek.secretKey, bob.encryption.publicKey))).toBe(toHex(dhs[1] as Uint8Array));
    const ss = mlkemDecapsulate(ct, keys.private.pqPrekey.secretKey);
    expect(toHex(pqxdhKdf(dhs, ss))).toBe(toHex(init.sharedSecret)); // the control: everything gives SK
    const otherKem = mlkemDecapsulate(ct, mlkemKeyPair().secretKey); // an attacker's best KEM guess
    expect(toHex(pqxdhKdf(dhs, otherKem))).not.toBe(toHex(init.sharedSecret));
    expect(toHex(pqxdhKdf(dhs, new Uint8Array(32)))).not.toBe(toHex(init.sharedSecret));
    const noDh = dhs.map(() => x25519KeyPair().publicKey); // ML-KEM secret, X25519 outputs guessed
    expect(toHex(pqxdhKdf(noDh, ss))).not.toBe(toHex(init.sharedSecret));
  });

  it('a tampered ML-KEM ciphertext gives the responder another SK (implicit rejection), not an error', () => {
    const { keys, init } = agree(true);
    const bad = { ...init.initiation, kemCipherText: flip(init.initiation.kemCipherText, 100) };
    const resp = pqxdhRespond(bob, 'bob', A, bad, keys.private);
    expect(toHex(resp.sharedSecret)).not.toBe(toHex(init.sharedSecret));
  });

  it('refuses a low-order ephemeral key and a one-time key that does not match the initiation', () => {
    const { keys, init } = agree(true);
    const zero = { ...init.initiation, ephemeralPublicKey: new Uint8Array(32) };
    expectCryptoError(() => pqxdhRespond(bob, 'bob', A, zero, keys.private), 'LOW_ORDER_POINT');
    const { oneTimePrekey: _, ...withoutOpk } = keys.private;
    expect(() => pqxdhRespond(bob, 'bob', A, init.initiation, withoutOpk)).toThrow(RangeError);
  });
});

describe('prekey signatures (§18.2)', () => {
  const keys = bobPrekeys(bob, true);
  const run = (bundle: typeof keys.bundle) => () => pqxdhInitiate(alice, 'alice', B, bundle);

  it('refuses a bad signature, another owner, another id and another type (PREKEY_BAD_SIGNATURE)', () => {
    const spk = keys.bundle.signedPrekey;
    const pq = keys.bundle.pqPrekey;
    const cases = [
      { ...keys.bundle, signedPrekey: { ...spk, signature: flip(spk.signature, 5) } },
      {
        ...keys.bundle,
        signedPrekey: signPrekey(PrekeyType.x25519Signed, 'carol', 1, spk.publicKey, bob.identity.secretKey),
      },
      { ...keys.bundle, signedPrekey: { ...spk, keyId: spk.keyId + 1 } },
      { ...keys.bundle, pqPrekey: { ...pq, type: PrekeyType.mlkemLastResort } }, // a one-time key passed off as last-resort
      {
        ...keys.bundle,
        signedPrekey: signPrekey(PrekeyType.x25519Signed, 'bob', 1, spk.publicKey, alice.identity.secretKey),
      },
    ];
    for (const bundle of cases) expectCryptoError(run(bundle), 'PREKEY_BAD_SIGNATURE');
  });

  it('refuses the wrong type in a slot, a wrong length and a low-order X25519 prekey (PREKEY_INVALID)', () => {
    const spk = keys.bundle.signedPrekey;
    const opk = keys.bundle.oneTimePrekey as typeof spk;
    const lowOrder = new Uint8Array(32);
    lowOrder[0] = 1;
    const cases = [
      { ...keys.bundle, signedPrekey: opk },
      { ...keys.bundle, pqPrekey: spk },
      { ...keys.bundle, signedPrekey: { ...spk, publicKey: spk.publicKey.subarray(1) } },
      { ...keys.bundle, signedPrekey: { ...spk, keyId: 2 ** 32 } },
      {
        ...keys.bundle,
        oneTimePrekey: signPrekey(PrekeyType.x25519OneTime, 'bob', 9, lowOrder, bob.identity.secretKey),
      },
    ];
    for (const bundle of cases) expectCryptoError(run(bundle), 'PREKEY_INVALID');
  });
});

describe('PQXDH initiation codec and replay (§19.5, §19.6)', () => {
  it('round trips with and without a one-time prekey, keeping what follows', () => {
    for (const oneTime of [true, false]) {
      const { init } = agree(oneTime);
      const bytes = encodeInitiation(init.initiation);
      expect(bytes.length).toBe(oneTime ? 1134 : 1130);
      const { initiation, rest } = decodeInitiation(Uint8Array.of(...bytes, 7, 8));
      expect(initiation).toEqual(init.initiation);
      expect([...rest]).toEqual([7, 8]);
    }
  });

  it('refuses unknown flags, an unknown KEM type and truncation (PQXDH_INITIATION_INVALID)', () => {
    const bytes = encodeInitiation(agree(true).init.initiation);
    for (const bad of [flip(bytes, 0, 0x02), flip(bytes, 1, 0x01), bytes.subarray(0, 1133), bytes.subarray(0, 1)]) {
      expectCryptoError(() => decodeInitiation(bad), 'PQXDH_INITIATION_INVALID');
    }
  });

  it('refuses a replayed (prekey ids, ephemeral key) tuple, whatever the ciphertext', () => {
    const { init } = agree(false);
    const seen = new Set<string>();
    seen.add(checkNotReplayed(init.initiation, seen));
    expectCryptoError(() => checkNotReplayed(init.initiation, seen), 'PQXDH_REPLAY');
    const altered = { ...init.initiation, kemCipherText: flip(init.initiation.kemCipherText, 0) };
    expectCryptoError(() => checkNotReplayed(altered, seen), 'PQXDH_REPLAY');
    const otherId = { ...init.initiation, signedPrekeyId: init.initiation.signedPrekeyId + 1 };
    expect(pqxdhReplayKey(otherId)).not.toBe(pqxdhReplayKey(init.initiation));
    expect(checkNotReplayed(agree(false).init.initiation, seen)).toMatch(/^[0-9a-f]{64}$/);
  });
});
