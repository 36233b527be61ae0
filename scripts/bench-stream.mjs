#!/usr/bin/env node
// MB/s of the file-transfer chunk AEAD (PROTOCOL.md §16.2): seal and open of 64 KiB chunks, one core.
// Usage: npx tsc -b && node scripts/bench-stream.mjs [MiB, default 256]
import { randomBytes } from 'node:crypto';
import { STREAM_CHUNK_BYTES, generateFileKey, openChunk, sealChunk } from '@chat/crypto';

const mib = Number(process.argv[2] ?? 256);
const chunks = (mib * 1024 * 1024) / STREAM_CHUNK_BYTES;
const key = generateFileKey();
const plain = randomBytes(STREAM_CHUNK_BYTES);
const sealed = sealChunk(plain, key, 7, false);

function mbps(fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < chunks; i++) fn(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return (mib * 1.048576) / s;
}

const sealRate = mbps((i) => sealChunk(plain, key, i, false));
const openRate = mbps(() => openChunk(sealed, key, 7, false));
console.log(
  `stream seal ${sealRate.toFixed(0)} MB/s, open ${openRate.toFixed(0)} MB/s (${mib} MiB in 64 KiB chunks, node ${process.version})`,
);
