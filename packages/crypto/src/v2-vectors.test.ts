/**
 * Protocol v2 test vectors (PROTOCOL.md §22, packages/crypto/test/vectors/v2): our implementation reproduces the
 * committed files byte for byte, and a second implementation written here on @noble/hashes, @noble/curves and
 * @noble/ciphers (no code shared with src/) recomputes the PQXDH secret, the KDF chains, one DH ratchet step and
 * every ciphertext. `CHAT_WRITE_V2_VECTORS=1` rewrites the files from the implementation instead of checking.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { pqxdhVector, ratchetVector } from '../test/v2-vectors.js';

const DIR = new URL('../test/vectors/v2/', import.meta.url);
const WRITE = process.env.CHAT_WRITE_V2_VECTORS === '1';

function committed<T>(name: string, fresh: T): T {
  const url = new URL(name, DIR);
  const json = `${JSON.stringify(fresh, null, 2)}\n`;
  if (WRITE) writeFileSync(url, json);
  if (!existsSync(url)) throw new Error(`missing ${name}: run with CHAT_WRITE_V2_VECTORS=1 once`);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const x = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p));
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// The second implementation: PROTOCOL.md §19.2, §20.2 and §20.4 read afresh.
const second = {
  pqxdh(dhs: Uint8Array[], ss: Uint8Array): Uint8Array {
    const ikm = cat(new Uint8Array(32).fill(0xff), ...dhs, ss);
    return hkdf(sha256, ikm, new Uint8Array(32), ascii('chat/v2/PQXDH_CURVE25519_SHA-256_ML-KEM-768'), 32);
  },
  kdfRk(rk: Uint8Array, dh: Uint8Array): [Uint8Array, Uint8Array] {
    const okm = hkdf(sha256, dh, rk, ascii('chat/v2/ratchet/root'), 64);
    return [okm.slice(0, 32), okm.slice(32)];
  },
  kdfCk(ck: Uint8Array): [Uint8Array, Uint8Array] {
    return [hmac(sha256, ck, Uint8Array.of(0x02)), hmac(sha256, ck, Uint8Array.of(0x01))];
  },
  open(mk: Uint8Array, ad: Uint8Array, message: Uint8Array): Uint8Array {
    const okm = hkdf(sha256, mk, new Uint8Array(32), ascii('chat/v2/ratchet/message'), 44);
    const header = message.slice(0, 40);
    return chacha20poly1305(okm.slice(0, 32), okm.slice(32), cat(ad, header)).decrypt(message.slice(40));
  },
};

describe('PQXDH vectors (vectors/v2/pqxdh.json)', () => {
  const fresh = [pqxdhVector(true), pqxdhVector(false)].map(({ session: _, ...v }) => v);
  const file = committed('pqxdh.json', fresh);

  it('the implementation reproduces the committed vectors', () => {
    expect(fresh).toEqual(file);
  });

  for (const v of file) {
    it(`a second implementation derives the same SK: ${v.name}`, () => {
      const i = v.inputs as unknown as Record<string, string>;
      const o = v.outputs as unknown as Record<string, string>;
      const opk = i.oneTimePrekeySecretKey;
      // Bob's side, from his secrets and what the initiation carries.
      const pq = ml_kem768.keygen(h(i.pqPrekeySeed as string));
      expect(x(pq.publicKey)).toBe(o.pqPrekeyPublicKey);
      const ss = ml_kem768.decapsulate(h(o.kemCipherText as string), pq.secretKey);
      const ek = h(o.ephemeralPublicKey as string);
      const dhs = [
        nobleX25519.getSharedSecret(h(i.signedPrekeySecretKey as string), h(o.aliceEncryptionPublicKey as string)),
        nobleX25519.getSharedSecret(h(i.bobEncryptionSecretKey as string), ek),
        nobleX25519.getSharedSecret(h(i.signedPrekeySecretKey as string), ek),
        ...(opk ? [nobleX25519.getSharedSecret(h(opk), ek)] : []),
      ];
      expect(x(second.pqxdh(dhs, ss))).toBe(o.sharedSecret);
      // Alice's ephemeral public key is X25519(ek, 9).
      expect(x(nobleX25519.getPublicKey(h(i.ephemeralSecretKey as string)))).toBe(o.ephemeralPublicKey);
      // The associated data of §19.3, rebuilt.
      const party = (name: string, id: string, enc: string) =>
        cat(Uint8Array.of(name.length), ascii(name), h(id), h(enc));
      const ad = cat(
        ascii('chat/v2/ad\0'),
        party('alice', o.aliceIdentityPublicKey as string, o.aliceEncryptionPublicKey as string),
        party('bob', o.bobIdentityPublicKey as string, o.bobEncryptionPublicKey as string),
      );
      expect(x(ad)).toBe(o.associatedData);
    });
  }
});

describe('Double Ratchet vectors (vectors/v2/ratchet.json)', () => {
  const fresh = ratchetVector();
  const file = committed('ratchet.json', fresh);

  it('the implementation reproduces the committed vectors', () => {
    expect(fresh).toEqual(file);
    expect(file.steps.filter((s) => s.op === 'send')).toHaveLength(12);
  });

  it('a second implementation opens every message from its KDF_CK chain and message keys', () => {
    const ad = h(file.inputs.associatedData);
    for (const s of file.steps) {
      if (s.op !== 'send') continue;
      const [next, mk] = second.kdfCk(h(s.chainKey as string));
      expect(x(mk)).toBe(s.messageKey);
      const okm = hkdf(sha256, mk, new Uint8Array(32), ascii('chat/v2/ratchet/message'), 44);
      expect(x(okm.slice(0, 32))).toBe(s.aeadKey);
      expect(x(okm.slice(32))).toBe(s.aeadNonce);
      expect(new TextDecoder().decode(second.open(mk, ad, h(s.wire as string)))).toBe(s.plaintext);
      // The following send in the same chain (same ratchet key) starts from `next`.
      const after = file.steps.find((t) => t.op === 'send' && t.by === s.by && t.message > s.message);
      if (after && after.ratchetPublicKey === s.ratchetPublicKey) expect(after.chainKey).toBe(x(next));
    }
  });

  it('a second implementation computes the initial chain and bob’s first DH ratchet step', () => {
    const sk = h(file.inputs.sharedSecret);
    const spk = h(file.inputs.bobRatchetSecretKey);
    const alice0 = sha256(ascii('chat/v2/test/ratchet/alice/0'));
    const bob0 = sha256(ascii('chat/v2/test/ratchet/bob/0'));
    // RatchetInitAlice: RK, CKs = KDF_RK(SK, DH(DHs, SPK_B)).
    const spkPublic = nobleX25519.getPublicKey(spk);
    const [rkA, cksA] = second.kdfRk(sk, nobleX25519.getSharedSecret(alice0, spkPublic));
    const first = file.steps[0];
    expect(first?.chainKey).toBe(x(cksA));
    expect(first?.rootKey).toBe(x(rkA));
    expect(first?.ratchetPublicKey).toBe(x(nobleX25519.getPublicKey(alice0)));
    // Bob's DHRatchet on message 0's key: a receiving chain, then a fresh key pair and a sending chain.
    const alicePublic = nobleX25519.getPublicKey(alice0);
    const [rk1, ckr] = second.kdfRk(sk, nobleX25519.getSharedSecret(spk, alicePublic));
    const [rk2, cks] = second.kdfRk(rk1, nobleX25519.getSharedSecret(bob0, alicePublic));
    expect(x(ckr)).toBe(x(cksA)); // both ends derive the same chain
    const bobRecv = file.steps.find((s) => s.op === 'recv' && s.by === 'bob');
    expect(bobRecv?.rootKey).toBe(x(rk2));
    expect(bobRecv?.ratchetPublicKey).toBe(x(nobleX25519.getPublicKey(bob0)));
    const bobFirstSend = file.steps.find((s) => s.op === 'send' && s.by === 'bob');
    expect(bobFirstSend?.chainKey).toBe(x(cks));
  });
});
