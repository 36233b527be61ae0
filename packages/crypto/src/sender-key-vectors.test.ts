/**
 * Group sender key vectors (PROTOCOL.md §25.8, packages/crypto/test/vectors/v2/sender-key.json): our implementation
 * reproduces the committed file byte for byte, and a second implementation written here on @noble/* (no code shared
 * with src/) recomputes every chain step, AEAD key and nonce, ciphertext and signature. `CHAT_WRITE_V2_VECTORS=1`
 * rewrites the file from the implementation instead of checking.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { senderKeyVector } from '../test/sender-key-vectors.js';

const URL_ = new URL('../test/vectors/v2/sender-key.json', import.meta.url);
const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const x = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p));
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sender key vectors (vectors/v2/sender-key.json)', () => {
  const fresh = senderKeyVector();
  if (process.env.CHAT_WRITE_V2_VECTORS === '1') writeFileSync(URL_, `${JSON.stringify(fresh, null, 2)}\n`);
  if (!existsSync(URL_)) throw new Error('missing sender-key.json: run with CHAT_WRITE_V2_VECTORS=1 once');
  const file = JSON.parse(readFileSync(URL_, 'utf8')) as ReturnType<typeof senderKeyVector>;

  it('the implementation reproduces the committed vectors', () => {
    expect(fresh).toEqual(file);
    expect(file.steps).toHaveLength(4);
  });

  it('a second implementation derives the chain, opens every message and checks its signature (§25.2–§25.4)', () => {
    const i = file.inputs;
    const signingPublicKey = ed25519.getPublicKey(h(i.signingSeed));
    expect(x(signingPublicKey)).toBe(file.outputs.signingPublicKey);
    // The distribution (§25.3): gid ‖ epoch ‖ u32be(0) ‖ chain key ‖ signing public key.
    expect(file.outputs.distribution).toBe(
      x(cat(h(i.gid), h(i.epoch), new Uint8Array(4), h(i.chainKey), signingPublicKey)),
    );
    let ck = h(i.chainKey);
    for (const s of file.steps) {
      expect(s.chainKey).toBe(x(ck));
      const mk = hmac(sha256, ck, Uint8Array.of(0x01));
      ck = hmac(sha256, ck, Uint8Array.of(0x02));
      expect(s.messageKey).toBe(x(mk));
      expect(s.nextChainKey).toBe(x(ck));
      const okm = hkdf(sha256, mk, new Uint8Array(32), ascii('chat/v2/group/message'), 44);
      expect(s.aeadKey).toBe(x(okm.slice(0, 32)));
      expect(s.aeadNonce).toBe(x(okm.slice(32)));
      const iteration = new Uint8Array(4);
      new DataView(iteration.buffer).setUint32(0, s.iteration);
      const header = cat(Uint8Array.of(i.from.length), ascii(i.from), h(i.gid), h(i.epoch), iteration);
      const message = h(s.message);
      expect(x(message.slice(0, header.length))).toBe(x(header));
      const ciphertext = message.slice(header.length, message.length - 64);
      const plaintext = chacha20poly1305(okm.slice(0, 32), okm.slice(32), header).decrypt(ciphertext);
      expect(x(plaintext)).toBe(s.plaintext);
      // pad(kind ‖ u64be(ts) ‖ gid ‖ text) (§25.4, §21)
      expect(plaintext[0]).toBe(0x10);
      expect(new DataView(plaintext.buffer).getBigUint64(1)).toBe(BigInt(s.ts));
      expect(x(plaintext.slice(9, 25))).toBe(i.gid);
      expect(new TextDecoder().decode(plaintext.slice(25, 25 + s.text.length))).toBe(s.text);
      const signed = message.slice(0, message.length - 64);
      const sig = message.slice(message.length - 64);
      expect(ed25519.verify(sig, cat(ascii('chat/v2/group/sig\0'), signed), signingPublicKey)).toBe(true);
    }
  });
});
