#!/usr/bin/env node
// Operations per second of @chat/crypto (node:crypto, and libsodium through sodium-native for the sealed box, the
// AEAD and the SHA-256 under HMAC and HKDF), its tweetnacl reference path, node:crypto where we moved off it, and
// libsodium-wrappers (wasm), in one run.
// Usage: npm run build && node scripts/bench-crypto.mjs [seconds-per-case, default 1]
// Prints one line per case: name, ops/s of each implementation, and the ratio of ours to the others.
import { createHmac, hkdfSync } from 'node:crypto';
import os from 'node:os';
import sodium from 'libsodium-wrappers';
import {
  generateIdentity,
  hkdfSha256,
  hmacSha256,
  openEnvelope,
  openSealed,
  randomMessageId,
  reference,
  seal,
  sealEnvelope,
  sign,
  verify,
  verifyEnvelopeSignature,
  x25519,
} from '@chat/crypto';

await sodium.ready;
const seconds = Number(process.argv[2] ?? 1);

/** Runs `fn` repeatedly for about `seconds` (after a short warm-up) and returns calls per second. */
function rate(fn) {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

const alice = generateIdentity();
const bob = generateIdentity();
const msg = new Uint8Array(256).fill(7);
const sig = sign(msg, alice.identity.secretKey);
const sealed = seal(msg, bob.encryption.publicKey);
const sodiumSignSk = sodium.crypto_sign_seed_keypair(alice.identity.secretKey).privateKey;
const fields = () => ({ kind: 1, from: 'alice', to: 'bob', id: randomMessageId(), ts: Date.now(), body: msg });
const env = (() => {
  const f = fields();
  return { f, bytes: sealEnvelope(f, alice.identity.secretKey, bob.encryption.publicKey) };
})();

const chainKey = new Uint8Array(32).fill(9);
const one = Uint8Array.of(1);
const zeroSalt = new Uint8Array(32);
const info = new TextEncoder().encode('chat/v2/ratchet/message');

const cases = [
  [
    // The ratchet's KDF_CK, twice per message (PROTOCOL.md §20.2).
    'hmac-sha256 (32 B key, 1 B)',
    {
      ours: () => hmacSha256(chainKey, one),
      'node createHmac': () => createHmac('sha256', chainKey).update(one).digest(),
    },
  ],
  [
    // A message key's AEAD key and nonce, once per message (§20.2).
    'hkdf-sha256 (L = 44)',
    {
      ours: () => hkdfSha256(chainKey, zeroSalt, 'chat/v2/ratchet/message', 44),
      'node hkdfSync': () => hkdfSync('sha256', chainKey, zeroSalt, info, 44),
    },
  ],
  [
    'ed25519 sign (256 B)',
    {
      ours: () => sign(msg, alice.identity.secretKey),
      tweetnacl: () => reference.sign(msg, alice.identity.secretKey),
      libsodium: () => sodium.crypto_sign_detached(msg, sodiumSignSk),
    },
  ],
  [
    'ed25519 verify (256 B)',
    {
      ours: () => verify(sig, msg, alice.identity.publicKey),
      tweetnacl: () => reference.verify(sig, msg, alice.identity.publicKey),
      libsodium: () => sodium.crypto_sign_verify_detached(sig, msg, alice.identity.publicKey),
    },
  ],
  [
    'x25519',
    {
      ours: () => x25519(alice.encryption.secretKey, bob.encryption.publicKey),
      tweetnacl: () => reference.x25519(alice.encryption.secretKey, bob.encryption.publicKey),
      libsodium: () => sodium.crypto_scalarmult(alice.encryption.secretKey, bob.encryption.publicKey),
    },
  ],
  [
    'seal (256 B)',
    {
      ours: () => seal(msg, bob.encryption.publicKey),
      tweetnacl: () => reference.seal(msg, bob.encryption.publicKey),
      libsodium: () => sodium.crypto_box_seal(msg, bob.encryption.publicKey),
    },
  ],
  [
    'open sealed (256 B)',
    {
      ours: () => openSealed(sealed, bob.encryption.publicKey, bob.encryption.secretKey),
      tweetnacl: () => reference.openSealed(sealed, bob.encryption.publicKey, bob.encryption.secretKey),
      libsodium: () => sodium.crypto_box_seal_open(sealed, bob.encryption.publicKey, bob.encryption.secretKey),
    },
  ],
  [
    'envelope: sign + seal (256 B body)',
    {
      ours: () => sealEnvelope(fields(), alice.identity.secretKey, bob.encryption.publicKey),
    },
  ],
  [
    'envelope: open + verify (256 B body)',
    {
      ours: () => {
        const opened = openEnvelope(env.bytes, { username: 'bob', encryption: bob.encryption }, env.f.id);
        verifyEnvelopeSignature(opened, alice.identity.publicKey);
      },
    },
  ],
];

console.log(`# @chat/crypto vs tweetnacl vs libsodium-wrappers (wasm), ${seconds}s per case`);
console.log(`# node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} × ${os.cpus().length}`);
for (const [name, impls] of cases) {
  const r = Object.fromEntries(Object.entries(impls).map(([k, fn]) => [k, rate(fn)]));
  const parts = Object.entries(r).map(([k, v]) => `${k} ${Math.round(v).toLocaleString('en')}/s`);
  const ratios = Object.entries(r)
    .filter(([k]) => k !== 'ours')
    .map(([k, v]) => `${(r.ours / v).toFixed(2)}× ${k}`);
  console.log(`${name.padEnd(38)} ${parts.join('  ')}${ratios.length ? `  (ours = ${ratios.join(', ')})` : ''}`);
}
