#!/usr/bin/env node
// Two builds of @chat/crypto side by side in one process, in alternated rounds: µs per sealed box opened
// (`sealedBoxOpener`, 560 bytes), per `seal` (512 bytes), and per ChaCha20-Poly1305 open and seal of a 300-byte ratchet
// message with 120 bytes of associated data (`aeadOpen` / `aeadSeal`). Usage, after npm run build:
//   node scripts/bench/crypto-builds.mjs <other packages/crypto/dist> [rounds=5]
// e.g. a copy of the worktree at an older commit, built (BENCHMARKS.md, "The sealed box on libsodium").
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('../../packages/crypto/dist/index.js', import.meta.url));
const [otherArg, roundsArg] = process.argv.slice(2);
if (!otherArg) throw new Error('usage: crypto-builds.mjs <other packages/crypto/dist> [rounds]');
const builds = { other: await import(resolve(otherArg, 'index.js')), this: await import(here) };
const ROUNDS = Number(roundsArg ?? 5);
const N = 4000;

const keys = builds.this.x25519KeyPair();
const message = new Uint8Array(512);
const boxes = Array.from({ length: N }, () => builds.this.seal(message, keys.publicKey));
const [key, nonce, ad, body] = [randomBytes(32), randomBytes(12), randomBytes(120), randomBytes(300)];
const sealedBodies = Array.from({ length: N }, () => builds.this.aeadSeal(randomBytes(300), key, nonce, ad));

/** µs per call of `fn(i)` over N calls. */
function time(fn) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / N / 1000;
}

const results = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, c] of Object.entries(builds)) {
    const open = c.sealedBoxOpener(keys.publicKey, keys.secretKey);
    const cases = {
      'sealedBoxOpener(560 B)': (i) => open(boxes[i]),
      'seal(512 B)': () => c.seal(message, keys.publicKey),
      'aeadOpen(300 B)': (i) => c.aeadOpen(sealedBodies[i], key, nonce, ad),
      'aeadSeal(300 B)': () => c.aeadSeal(body, key, nonce, ad),
    };
    for (const [what, fn] of Object.entries(cases)) (results[`${what} [${name}]`] ??= []).push(time(fn));
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(
  `load ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; µs per call, ${ROUNDS} rounds`,
);
for (const [k, v] of Object.entries(results).sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`${k.padEnd(32)} median ${median(v).toFixed(1).padStart(6)}  (${v.map((x) => x.toFixed(1)).join(', ')})`);
}
