#!/usr/bin/env node
// Long fuzz run of the relay over TCP (not in CI): the same properties as test/fuzz/relay.fuzz.test.ts, scaled.
//   node scripts/fuzz-relay.mjs [scale]     scale 50 ≈ 1,000,000 byte-stream cases + 80,000 hostile sessions
// Build first (npx tsc -b). A failure prints fast-check's seed and path; rerun with them to reproduce.
import { spawnSync } from 'node:child_process';

const scale = Number(process.argv[2] ?? '20');
if (!Number.isInteger(scale) || scale < 1) {
  console.error('usage: node scripts/fuzz-relay.mjs [scale ≥ 1]');
  process.exit(2);
}
const started = Date.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz', '--reporter=verbose', '--testTimeout=0'], {
  stdio: 'inherit',
  env: { ...process.env, CHAT_TEST_SCALE: 'long', FUZZ_SCALE: String(scale) },
});
console.log(`fuzz-relay: scale ${scale}, ${Math.round((Date.now() - started) / 1000)} s, exit ${r.status}`);
process.exit(r.status ?? 1);
