import { ProtocolError } from '@chat/protocol';
import { describe, expect, it } from 'vitest';
import { type BlobLimits, type Blobs, SEALED_CHUNK } from './rules.js';

const LIMITS: BlobLimits = {
  maxFileBytes: 4 * SEALED_CHUNK,
  blobQuotaBytes: 6 * SEALED_CHUNK,
  incompleteTtlMs: 100,
  completeTtlMs: 1_000,
  maxBlobsPerUser: 4,
  maxUploadsPerUser: 2,
};

const bid = (n: number) => n.toString(16).padStart(32, '0');
/** A sealed file of `chunks` chunks whose last one holds `tail` bytes (§16.2 shape). */
const shape = (chunks: number, tail = 100) => ({ chunks, size: (chunks - 1) * SEALED_CHUNK + tail });
const chunk = (fill: number, len = SEALED_CHUNK) => new Uint8Array(len).fill(fill);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'ok';
}

/** The contract of `Blobs` (§16.4) every engine meets; `open(limits)` returns an empty one. */
export function describeBlobs(name: string, open: (limits: BlobLimits) => Promise<Blobs>): void {
  describe(`Blobs contract: ${name}`, () => {
    it('uploads in order, completes on the last chunk, serves the recipient only, and deletes', async () => {
      const blobs = await open(LIMITS);
      const { size, chunks } = shape(2);
      expect(await blobs.create('alice', bid(1), 'bob', size, chunks, 10)).toBe(0);
      expect(await code(blobs.put('alice', bid(1), 1, chunk(2, 100), 11))).toBe('BLOB_OUT_OF_ORDER');
      expect(await code(blobs.put('mallory', bid(1), 0, chunk(1), 11))).toBe('NO_SUCH_BLOB');
      expect(await code(blobs.put('alice', bid(1), 0, chunk(1, 10), 11))).toBe('BAD_BLOB');
      expect(await blobs.put('alice', bid(1), 0, chunk(1), 11)).toBe(1);
      expect(await blobs.create('alice', bid(1), 'bob', size, chunks, 12)).toBe(1); // a resumed upload learns `have`
      expect(await code(blobs.create('alice', bid(1), 'carol', size, chunks, 12))).toBe('BLOB_CONFLICT');
      expect((await blobs.forRecipient('bob', bid(1))).completedAt).toBeUndefined();
      expect(await blobs.put('alice', bid(1), 1, chunk(2, 100), 13)).toBe(2);
      expect(await code(blobs.put('alice', bid(1), 2, chunk(2, 100), 13))).toBe('BAD_BLOB');
      const m = await blobs.forRecipient('bob', bid(1));
      expect(m).toMatchObject({ owner: 'alice', to: 'bob', size, chunks, have: 2, completedAt: 13 });
      expect(Buffer.from(await blobs.readChunk(m, 1)).equals(Buffer.from(chunk(2, 100)))).toBe(true);
      expect(await code(blobs.forRecipient('carol', bid(1)))).toBe('NO_SUCH_BLOB');
      expect(await code(blobs.forRecipient('alice', bid(1)))).toBe('NO_SUCH_BLOB');
      expect((await blobs.forRecipient('alice', bid(1), true)).bid).toBe(bid(1));
      expect(await blobs.totals()).toEqual({ blobs: 1, bytes: size });
      await blobs.delete(bid(1));
      expect(await blobs.has(bid(1))).toBe(false);
      await blobs.close();
    });

    it("refuses a bad shape, a file too large, and a sender's uploads, files or bytes over the limits", async () => {
      const blobs = await open(LIMITS);
      expect(await code(blobs.create('alice', bid(1), 'bob', SEALED_CHUNK + 100, 1, 1))).toBe('BAD_BLOB');
      const big = shape(5);
      expect(await code(blobs.create('alice', bid(1), 'bob', big.size, big.chunks, 1))).toBe('FILE_TOO_LARGE');
      const one = shape(1);
      await blobs.create('alice', bid(1), 'bob', one.size, one.chunks, 1);
      await blobs.create('alice', bid(2), 'bob', one.size, one.chunks, 1);
      expect(await code(blobs.create('alice', bid(3), 'bob', one.size, one.chunks, 1))).toBe('QUOTA_EXCEEDED');
      await blobs.put('alice', bid(1), 0, chunk(1, 100), 2);
      await blobs.put('alice', bid(2), 0, chunk(1, 100), 2);
      const four = shape(4);
      await blobs.create('alice', bid(3), 'bob', four.size, four.chunks, 3);
      expect(await code(blobs.create('alice', bid(4), 'bob', four.size, four.chunks, 3))).toBe('QUOTA_EXCEEDED'); // bytes
      await blobs.create('alice', bid(4), 'bob', one.size, one.chunks, 3);
      expect(await code(blobs.create('alice', bid(5), 'bob', one.size, one.chunks, 3))).toBe('QUOTA_EXCEEDED'); // files
      expect(await blobs.create('carol', bid(5), 'bob', one.size, one.chunks, 3)).toBe(0); // another sender
      await blobs.close();
    });

    it('expires unfinished uploads and unanswered files after their lifetimes', async () => {
      const blobs = await open(LIMITS);
      const one = shape(1);
      await blobs.create('alice', bid(1), 'bob', one.size, one.chunks, 0);
      await blobs.create('alice', bid(2), 'bob', one.size, one.chunks, 0);
      await blobs.put('alice', bid(2), 0, chunk(1, 100), 50);
      expect(await blobs.expire(100)).toBe(0);
      expect(await blobs.expire(101)).toBe(1);
      expect(await blobs.has(bid(1))).toBe(false);
      expect(await blobs.expire(1_050)).toBe(0);
      expect(await blobs.expire(1_051)).toBe(1);
      expect(await blobs.totals()).toEqual({ blobs: 0, bytes: 0 });
      await blobs.close();
    });
  });
}
