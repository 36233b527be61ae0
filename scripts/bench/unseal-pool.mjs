/**
 * The unseal pool's own cost (packages/cli/src/engine/v2/unseal-pool.ts), apart from any drain: n sealed boxes opened
 * on this thread, then through a pool of one worker in chunks of 64 (as the receiver sends them); CPU of the whole
 * process (all threads) and wall time per box, 3 rounds. `npm run build` first.
 * Usage: node scripts/bench/unseal-pool.mjs [n]
 */
import { loadavg } from 'node:os';
import { openSealed, seal, x25519KeyPair } from '@chat/crypto';
import { UnsealPool } from '../../packages/cli/dist/engine/v2/unseal-pool.js';

const n = Number(process.argv[2] ?? 10_000);
const keys = x25519KeyPair();
const boxes = Array.from({ length: n }, (_, i) => seal(new Uint8Array(200).fill(i & 255), keys.publicKey));
const per = (c, t0) =>
  `${((c.user + c.system) / n).toFixed(1)} µs CPU, ${(((performance.now() - t0) * 1000) / n).toFixed(1)} µs wall per box`;
console.log(`load ${loadavg()[0].toFixed(2)}, ${n} boxes`);
for (let round = 1; round <= 3; round++) {
  let cpu = process.cpuUsage();
  let t0 = performance.now();
  for (const b of boxes) openSealed(b, keys.publicKey, keys.secretKey);
  console.log(`round ${round}: this thread ${per(process.cpuUsage(cpu), t0)}`);
  const pool = UnsealPool.start(keys, 1);
  await pool.unseal(boxes.slice(0, 1)).answer; // started and warm
  cpu = process.cpuUsage();
  t0 = performance.now();
  const answers = [];
  for (let i = 0; i < n; i += 64) answers.push(pool.unseal(boxes.slice(i, i + 64)).answer);
  await Promise.all(answers);
  console.log(`round ${round}: the pool  ${per(process.cpuUsage(cpu), t0)}`);
  await pool.close();
}
