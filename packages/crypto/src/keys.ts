/**
 * Raw 32-byte Ed25519 / X25519 keys as node:crypto KeyObjects: secret keys wrapped in the fixed PKCS #8 DER prefix
 * (RFC 8410 §7) in a buffer that is wiped after import, public keys as JWK. A small LRU cache means a key used again
 * (our identity key, a contact's key) is imported once.
 */
import { Buffer } from 'node:buffer';
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { wipe } from './bytes.js';

/** The curve a raw key belongs to. */
export type Curve = 'ed25519' | 'x25519';

const JWK_CURVE: Record<Curve, string> = { ed25519: 'Ed25519', x25519: 'X25519' };
const PKCS8: Record<Curve, Uint8Array> = {
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
};

/** Entries kept per cache: a client holds a handful of keys, a relay verifies many users' keys. */
export const KEY_CACHE_SIZE = 256;

/** A Map used as an LRU: a hit moves the entry to the end, an insert past the bound drops the oldest. */
class Lru<V> {
  readonly #map = new Map<string, V>();
  constructor(readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.#map.get(k);
    if (v !== undefined) {
      this.#map.delete(k);
      this.#map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.#map.delete(k);
    this.#map.set(k, v);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as string);
  }
  get size(): number {
    return this.#map.size;
  }
  clear(): void {
    this.#map.clear();
  }
}

const publicCache = new Lru<KeyObject>(KEY_CACHE_SIZE);
const secretCache = new Lru<KeyObject>(KEY_CACHE_SIZE);

/**
 * @internal A public KeyObject for raw `publicKey`, cached. Imported as a JWK (RFC 8037 §2), which node:crypto takes
 * ~13× faster than the same key as DER SPKI (OpenSSL 3's decoder is slow) and which carries exactly the same 32 raw
 * bytes. Short-lived X25519 public keys never come here (x25519.ts runs them on libsodium).
 */
export function publicKeyObject(curve: Curve, publicKey: Uint8Array): KeyObject {
  const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('base64url');
  const id = curve + x;
  let key = publicCache.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv: JWK_CURVE[curve], x }, format: 'jwk' });
    publicCache.set(id, key);
  }
  return key;
}

/**
 * @internal A private KeyObject for raw `secretKey`. The cache is keyed by a hash of the key, never by the key
 * itself, so no copy of the secret lives in a JavaScript string; the DER buffer is wiped after import. A short-lived
 * key passes `cache = false` (a group's sender signing key) so no KeyObject outlives its erasure; short-lived X25519
 * keys (prekeys, PQXDH and ratchet keys) make no KeyObject at all (x25519.ts, on libsodium).
 */
export function secretKeyObject(curve: Curve, secretKey: Uint8Array, cache = true): KeyObject {
  const id = cache ? createHash('sha256').update(`chat/keycache/${curve}\0`).update(secretKey).digest('base64') : '';
  let key = cache ? secretCache.get(id) : undefined;
  if (key === undefined) {
    const der = new Uint8Array(48);
    der.set(PKCS8[curve]);
    der.set(secretKey, 16);
    try {
      key = createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
    } finally {
      wipe(der);
    }
    if (cache) secretCache.set(id, key);
  }
  return key;
}

/**
 * @internal The raw 32-byte public key of a private or public KeyObject (via JWK, faster than DER here). Never call
 * it on a key from generateKeyPair(Sync): Node 20 locks a generated key's mutex when the finished key-generation job
 * is garbage-collected, and exporting the key (as JWK here) allocates while holding that same mutex, so a GC at that
 * moment deadlocks the process (seen on 20.20). Import a secret key from bytes instead (secretKeyObject), or derive
 * with diffieHellman, which holds no lock while it allocates.
 */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = pub.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('rawPublicKey: node:crypto returned a JWK without x');
  return new Uint8Array(Buffer.from(x, 'base64url'));
}

/** Empties the KeyObject caches (tests, or a process that wants imported secret keys gone). */
export function clearKeyCache(): void {
  publicCache.clear();
  secretCache.clear();
}

/** @internal Cache sizes, for tests. */
export function keyCacheSizes(): { public: number; secret: number } {
  return { public: publicCache.size, secret: secretCache.size };
}
