/** The KeyObject cache: bounded, LRU, and never changing results. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clearKeyCache, generateIdentity, sign, toHex, verify, x25519 } from './index.js';
import { KEY_CACHE_SIZE, keyCacheSizes, publicKeyObject, secretKeyObject } from './keys.js';

describe('key cache', () => {
  it('imports a key once and hands back the same KeyObject', () => {
    clearKeyCache();
    const pk = generateIdentity().identity.publicKey;
    expect(publicKeyObject('ed25519', pk)).toBe(publicKeyObject('ed25519', pk.slice()));
    const sk = new Uint8Array(randomBytes(32));
    expect(secretKeyObject('x25519', sk)).toBe(secretKeyObject('x25519', sk.slice()));
    // The same bytes on the other curve are another key.
    expect(secretKeyObject('ed25519', sk)).not.toBe(secretKeyObject('x25519', sk));
  });

  it('stays within its bound and evicts the least recently used', () => {
    clearKeyCache();
    const first = new Uint8Array(32).fill(1);
    const firstKey = publicKeyObject('x25519', first);
    for (let i = 0; i < KEY_CACHE_SIZE * 2; i++) {
      publicKeyObject('x25519', new Uint8Array(randomBytes(32)));
      secretKeyObject('x25519', new Uint8Array(randomBytes(32)));
      if (i < KEY_CACHE_SIZE / 2) publicKeyObject('x25519', first); // keep it recently used for a while
    }
    expect(keyCacheSizes()).toEqual({ public: KEY_CACHE_SIZE, secret: KEY_CACHE_SIZE });
    expect(publicKeyObject('x25519', first)).not.toBe(firstKey); // evicted since, re-imported
  });

  it('gives the same results after the key bytes are reused for another key', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    const buf = a.identity.secretKey.slice();
    const m = Uint8Array.of(1, 2);
    const sigA = sign(m, buf);
    buf.set(b.identity.secretKey); // same array, new contents: the cache is keyed by contents
    const sigB = sign(m, buf);
    expect(verify(sigA, m, a.identity.publicKey)).toBe(true);
    expect(verify(sigB, m, b.identity.publicKey)).toBe(true);
    const shared = x25519(a.encryption.secretKey, b.encryption.publicKey);
    expect(toHex(x25519(b.encryption.secretKey, a.encryption.publicKey))).toBe(toHex(shared));
  });
});
