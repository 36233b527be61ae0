import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCryptoError } from './errors.js';
import {
  STREAM_CHUNK_BYTES,
  STREAM_SEALED_CHUNK_BYTES,
  StreamOpener,
  generateFileKey,
  openChunk,
  sealChunk,
  streamChunkCount,
  streamNonce,
  streamSealedSize,
} from './stream.js';

function sealAll(data: Uint8Array, key: Uint8Array): Uint8Array[] {
  const n = streamChunkCount(data.length);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    out.push(sealChunk(data.subarray(i * STREAM_CHUNK_BYTES, (i + 1) * STREAM_CHUNK_BYTES), key, i, i === n - 1));
  }
  return out;
}

function openAll(chunks: Uint8Array[], key: Uint8Array): Buffer {
  const o = new StreamOpener(key);
  const parts = chunks.map((c) => o.next(c));
  o.finish();
  return Buffer.concat(parts);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCryptoError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

describe('STREAM chunked AEAD (§16.2)', () => {
  it('nonce is the 3-byte prefix, the big-endian counter and the final flag', () => {
    expect(streamNonce(0, false).toString('hex')).toBe('000000000000000000000000');
    expect(streamNonce(1, true).toString('hex')).toBe('000000000000000000000101');
    expect(streamNonce(0x0102030405, false).toString('hex')).toBe('000000' + '0000000102030405' + '00');
  });

  it.each([0, 1, STREAM_CHUNK_BYTES - 1, STREAM_CHUNK_BYTES, STREAM_CHUNK_BYTES + 1, 3 * STREAM_CHUNK_BYTES])(
    'round-trips %i bytes',
    (size) => {
      const key = generateFileKey();
      const data = randomBytes(size);
      const chunks = sealAll(data, key);
      expect(chunks.length).toBe(streamChunkCount(size));
      expect(chunks.reduce((a, c) => a + c.length, 0)).toBe(streamSealedSize(size));
      expect(openAll(chunks, key).equals(data)).toBe(true);
    },
  );

  it('rejects a flipped byte anywhere in a chunk, typed', () => {
    const key = generateFileKey();
    const chunks = sealAll(randomBytes(2 * STREAM_CHUNK_BYTES + 10), key);
    for (const at of [0, 100, STREAM_SEALED_CHUNK_BYTES - 1]) {
      const bad = chunks.map((c) => Buffer.from(c));
      bad[1]![at]! ^= 0x01;
      expect(codeOf(() => openAll(bad, key))).toBe('STREAM_CHUNK_INVALID');
    }
  });

  it('rejects a dropped, a reordered and a duplicated chunk', () => {
    const key = generateFileKey();
    const chunks = sealAll(randomBytes(3 * STREAM_CHUNK_BYTES + 5), key);
    expect(codeOf(() => openAll([chunks[0]!, chunks[2]!, chunks[3]!], key))).toBe('STREAM_CHUNK_INVALID');
    expect(codeOf(() => openAll([chunks[1]!, chunks[0]!, chunks[2]!, chunks[3]!], key))).toBe('STREAM_CHUNK_INVALID');
    expect(codeOf(() => openAll([chunks[0]!, chunks[0]!, chunks[1]!, chunks[2]!, chunks[3]!], key))).toBe(
      'STREAM_CHUNK_INVALID',
    );
  });

  it('rejects a stream truncated at a chunk boundary, and data after the final chunk', () => {
    const key = generateFileKey();
    const chunks = sealAll(randomBytes(3 * STREAM_CHUNK_BYTES), key);
    expect(codeOf(() => openAll(chunks.slice(0, 2), key))).toBe('STREAM_TRUNCATED');
    expect(codeOf(() => openAll([...chunks, chunks[2]!], key))).toBe('STREAM_TRAILING_DATA');
  });

  it('rejects a final chunk cut short and a non-final chunk passed off as final', () => {
    const key = generateFileKey();
    const chunks = sealAll(randomBytes(2 * STREAM_CHUNK_BYTES + 100), key);
    expect(codeOf(() => openAll([chunks[0]!, chunks[1]!, chunks[2]!.subarray(0, 50)], key))).toBe(
      'STREAM_CHUNK_INVALID',
    );
    expect(codeOf(() => openChunk(chunks[1]!, key, 1, true))).toBe('STREAM_CHUNK_INVALID');
    expect(codeOf(() => openChunk(chunks[0]!, generateFileKey(), 0, false))).toBe('STREAM_CHUNK_INVALID');
    expect(codeOf(() => openChunk(new Uint8Array(5), key, 0, true))).toBe('STREAM_CHUNK_INVALID');
  });

  it('refuses to seal impossible chunks', () => {
    const key = generateFileKey();
    expect(() => sealChunk(new Uint8Array(10), key, 0, false)).toThrow(RangeError);
    expect(() => sealChunk(new Uint8Array(STREAM_CHUNK_BYTES + 1), key, 0, true)).toThrow(RangeError);
    expect(() => sealChunk(new Uint8Array(0), key, 1, true)).toThrow(RangeError);
    expect(() => sealChunk(new Uint8Array(1), new Uint8Array(16), 0, true)).toThrow(RangeError);
  });
});
