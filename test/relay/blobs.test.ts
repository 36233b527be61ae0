/** The blob store and its frames (PROTOCOL.md §16.4) against the real relay over TLS, with real STREAM ciphertext. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  STREAM_CHUNK_BYTES,
  StreamOpener,
  generateFileKey,
  generateIdentity,
  isCryptoError,
  sealChunk,
  streamChunkCount,
  type Identity,
} from '@chat/crypto';
import type { BlobDataFrame, RelayFrame } from '@chat/protocol';
import type { RelayOptions, RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

let relay: RunningRelay;
let tmp: ReturnType<typeof tempDir>;
const ids: Record<string, Identity> = {};
const open: RawClient[] = [];

async function client(user: string): Promise<RawClient> {
  const c = await RawClient.connect(relay.port);
  open.push(c);
  expect(await c.login(user, (ids[user] ??= generateIdentity()), 'send')).toMatchObject({ t: 'welcome' });
  return c;
}

async function start(extra: Partial<RelayOptions> = {}): Promise<void> {
  relay = await relayInProcess(tmp.dir, extra);
  for (const u of ['alice', 'bob', 'carol']) (await client(u)).close();
}

function sealFile(data: Uint8Array, key = generateFileKey()) {
  const n = streamChunkCount(data.length);
  const chunks = Array.from({ length: n }, (_, i) =>
    sealChunk(data.subarray(i * STREAM_CHUNK_BYTES, (i + 1) * STREAM_CHUNK_BYTES), key, i, i === n - 1),
  );
  return { key, chunks, size: chunks.reduce((a, c) => a + c.length, 0) };
}

let rid = 100;
async function ask(c: RawClient, frame: Record<string, unknown>): Promise<RelayFrame> {
  const r = rid++;
  c.send({ ...frame, rid: r } as never);
  return c.next((f) => 'rid' in f && f.rid === r);
}

async function upload(c: RawClient, bid: Buffer, chunks: Uint8Array[], from = 0): Promise<void> {
  for (let n = from; n < chunks.length; n++) {
    expect(await ask(c, { t: 'blob_put', bid, n, data: chunks[n] })).toMatchObject({ t: 'blob_ok', have: n + 1 });
  }
}

async function download(c: RawClient, bid: Buffer, chunks: number, from = 0): Promise<Uint8Array[]> {
  const r = rid++;
  c.send({ t: 'blob_get', rid: r, bid, from });
  const out: Uint8Array[] = [];
  for (let n = from; n < chunks; n++) {
    const f = await c.next((x) => 'rid' in x && x.rid === r);
    if (f.t !== 'blob_data') throw new Error(`expected blob_data, got ${JSON.stringify(f)}`);
    expect((f as BlobDataFrame).n).toBe(n);
    out.push((f as BlobDataFrame).data);
  }
  return out;
}

function blobFiles(): string[] {
  const dir = join(tmp.dir, 'blobs');
  return existsSync(dir) ? readdirSync(dir) : [];
}

beforeEach(() => {
  tmp = tempDir('relay-blobs');
});
afterEach(async () => {
  open.splice(0).forEach((c) => c.close());
  await relay.close();
  tmp.cleanup();
});

describe('blob upload and download', () => {
  it('carries a sealed file byte for byte; the recipient opens it; received deletes the relay copy', async () => {
    await start();
    const data = randomBytes(3 * STREAM_CHUNK_BYTES + 1234);
    const { key, chunks, size } = sealFile(data);
    const bid = randomBytes(16);
    const alice = await client('alice');
    expect(await ask(alice, { t: 'blob_new', bid, to: 'bob', size, chunks: chunks.length })).toMatchObject({
      t: 'blob_ok',
      have: 0,
    });
    const bob = await client('bob');
    expect(await ask(bob, { t: 'blob_get', bid, from: 0 })).toMatchObject({ t: 'err', code: 'BLOB_INCOMPLETE' });
    await upload(alice, bid, chunks);
    expect(await ask(await client('carol'), { t: 'blob_get', bid, from: 0 })).toMatchObject({
      t: 'err',
      code: 'NO_SUCH_BLOB',
    });
    const got = await download(bob, bid, chunks.length);
    const opener = new StreamOpener(key);
    expect(Buffer.concat(got.map((c) => opener.next(c))).equals(data)).toBe(true);
    opener.finish();
    // resume a download from the middle
    const tail = await download(bob, bid, chunks.length, 2);
    expect(Buffer.from(tail[0]!).equals(Buffer.from(chunks[2]!))).toBe(true);
    expect(blobFiles().length).toBe(2);
    expect(await ask(bob, { t: 'blob_done', bid, outcome: 'received' })).toMatchObject({ t: 'blob_ok', have: 0 });
    expect(blobFiles()).toEqual([]);
    expect(await ask(bob, { t: 'blob_get', bid, from: 0 })).toMatchObject({ t: 'err', code: 'NO_SUCH_BLOB' });
  });

  it('a decline deletes the relay copy; the sender can cancel its own blob', async () => {
    await start();
    const { chunks, size } = sealFile(randomBytes(1000));
    const alice = await client('alice');
    const bob = await client('bob');
    const bid = randomBytes(16);
    await ask(alice, { t: 'blob_new', bid, to: 'bob', size, chunks: 1 });
    await upload(alice, bid, chunks);
    expect(blobFiles().length).toBe(2);
    expect(await ask(bob, { t: 'blob_done', bid, outcome: 'declined' })).toMatchObject({ t: 'blob_ok' });
    expect(blobFiles()).toEqual([]);
    const bid2 = randomBytes(16);
    await ask(alice, { t: 'blob_new', bid: bid2, to: 'bob', size, chunks: 1 });
    expect(await ask(await client('carol'), { t: 'blob_done', bid: bid2, outcome: 'declined' })).toMatchObject({
      code: 'NO_SUCH_BLOB',
    });
    expect(await ask(alice, { t: 'blob_done', bid: bid2, outcome: 'declined' })).toMatchObject({ t: 'blob_ok' });
    expect(blobFiles()).toEqual([]);
  });

  it('a flipped byte in a stored chunk reaches the recipient, whose STREAM check rejects it', async () => {
    await start();
    const { key, chunks, size } = sealFile(randomBytes(2 * STREAM_CHUNK_BYTES + 7));
    const alice = await client('alice');
    const bid = randomBytes(16);
    await ask(alice, { t: 'blob_new', bid, to: 'bob', size, chunks: chunks.length });
    await upload(alice, bid, chunks);
    const path = join(tmp.dir, 'blobs', `${bid.toString('hex')}.bin`);
    const stored = readFileSync(path);
    stored[STREAM_CHUNK_BYTES + 16 + 5]! ^= 0x40;
    writeFileSync(path, stored);
    const got = await download(await client('bob'), bid, chunks.length);
    const opener = new StreamOpener(key);
    opener.next(got[0]!);
    let code: string | undefined;
    try {
      opener.next(got[1]!);
    } catch (e) {
      code = isCryptoError(e) ? e.code : String(e);
    }
    expect(code).toBe('STREAM_CHUNK_INVALID');
  });
});

describe('resume', () => {
  it('an upload interrupted by a lost connection, and by a relay restart, continues from have', async () => {
    await start();
    const { chunks, size } = sealFile(randomBytes(4 * STREAM_CHUNK_BYTES + 3));
    const bid = randomBytes(16);
    let alice = await client('alice');
    await ask(alice, { t: 'blob_new', bid, to: 'bob', size, chunks: chunks.length });
    await upload(alice, bid, chunks.slice(0, 2));
    alice.close();
    alice = await client('alice');
    expect(await ask(alice, { t: 'blob_new', bid, to: 'bob', size, chunks: chunks.length })).toMatchObject({ have: 2 });
    expect(await ask(alice, { t: 'blob_put', bid, n: 3, data: chunks[3] })).toMatchObject({
      code: 'BLOB_OUT_OF_ORDER',
      msg: 'have=2',
    });
    await upload(alice, bid, chunks.slice(0, 3), 2);
    await relay.close();
    relay = await relayInProcess(tmp.dir);
    alice = await client('alice');
    expect(await ask(alice, { t: 'blob_new', bid, to: 'bob', size, chunks: chunks.length })).toMatchObject({ have: 3 });
    expect(await ask(alice, { t: 'blob_new', bid, to: 'carol', size, chunks: chunks.length })).toMatchObject({
      code: 'BLOB_CONFLICT',
    });
    expect(
      await ask(await client('carol'), { t: 'blob_new', bid, to: 'bob', size, chunks: chunks.length }),
    ).toMatchObject({ code: 'BLOB_CONFLICT' });
    await upload(alice, bid, chunks, 3);
    const got = await download(await client('bob'), bid, chunks.length);
    expect(Buffer.concat(got).equals(Buffer.concat(chunks))).toBe(true);
  });
});

describe('limits and refusals (§16.4)', () => {
  it('file size, quota, shape and recipient are checked before any data moves; the session keeps serving', async () => {
    await start({ blobs: { maxFileBytes: 200_000, blobQuotaBytes: 300_000 } });
    const alice = await client('alice');
    const big = 4 * (STREAM_CHUNK_BYTES + 16);
    expect(await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size: big, chunks: 4 })).toMatchObject({
      t: 'err',
      code: 'FILE_TOO_LARGE',
    });
    const three = 3 * (STREAM_CHUNK_BYTES + 16);
    expect(
      await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size: three - 10, chunks: 3 }),
    ).toMatchObject({ t: 'blob_ok' });
    expect(
      await ask(alice, {
        t: 'blob_new',
        bid: randomBytes(16),
        to: 'bob',
        size: 2 * (STREAM_CHUNK_BYTES + 16),
        chunks: 2,
      }),
    ).toMatchObject({ t: 'err', code: 'QUOTA_EXCEEDED' });
    expect(await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size: 100, chunks: 2 })).toMatchObject({
      code: 'BAD_BLOB',
    });
    expect(await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size: 10, chunks: 1 })).toMatchObject({
      code: 'BAD_BLOB',
    });
    expect(await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'nobody', size: 100, chunks: 1 })).toMatchObject(
      { code: 'UNKNOWN_USER' },
    );
    expect(await ask(alice, { t: 'blob_put', bid: randomBytes(16), n: 0, data: randomBytes(100) })).toMatchObject({
      code: 'NO_SUCH_BLOB',
    });
    const bid = randomBytes(16);
    await ask(alice, { t: 'blob_new', bid, to: 'bob', size: 116, chunks: 1 });
    expect(await ask(alice, { t: 'blob_put', bid, n: 0, data: randomBytes(115) })).toMatchObject({ code: 'BAD_BLOB' });
    expect(await ask(alice, { t: 'blob_put', bid, n: 0, data: randomBytes(116) })).toMatchObject({
      t: 'blob_ok',
      have: 1,
    });
    expect(await ask(alice, { t: 'blob_put', bid, n: 1, data: randomBytes(116) })).toMatchObject({ code: 'BAD_BLOB' });
    expect(await ask(await client('bob'), { t: 'blob_get', bid, from: 1 })).toMatchObject({ code: 'BAD_BLOB' });
    expect(await ask(alice, { t: 'ping' })).toMatchObject({ t: 'pong' });
  });

  it('counts blobs per sender, charges blob requests (not chunks) to the request rate', async () => {
    await start({ blobs: { maxBlobsPerUser: 2 }, limits: { messagesPerSecond: 1, messagesBurst: 3 } });
    const alice = await client('alice');
    const bid = randomBytes(16);
    expect(await ask(alice, { t: 'blob_new', bid, to: 'bob', size: 116, chunks: 1 })).toMatchObject({ t: 'blob_ok' });
    expect(await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size: 16, chunks: 1 })).toMatchObject({
      t: 'blob_ok',
    });
    expect(await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size: 16, chunks: 1 })).toMatchObject({
      code: 'QUOTA_EXCEEDED',
    });
    // the burst of 3 is spent on the three blob_new: chunk uploads still go through, requests do not
    expect(await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size: 16, chunks: 1 })).toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(await ask(alice, { t: 'blob_put', bid, n: 0, data: randomBytes(116) })).toMatchObject({
      t: 'blob_ok',
      have: 1,
    });
  });

  it('expires incomplete uploads after 24 h and unanswered blobs after 7 days', async () => {
    let clock = Date.now();
    await start({ now: () => clock, blobs: { incompleteTtlMs: 1000, completeTtlMs: 5000 } });
    const alice = await client('alice');
    const { chunks, size } = sealFile(randomBytes(10));
    const done = randomBytes(16);
    await ask(alice, { t: 'blob_new', bid: done, to: 'bob', size, chunks: 1 });
    await upload(alice, done, chunks);
    await ask(alice, { t: 'blob_new', bid: randomBytes(16), to: 'bob', size, chunks: 1 });
    expect(blobFiles().length).toBe(4);
    await relay.close();
    clock += 2000;
    relay = await relayInProcess(tmp.dir, { now: () => clock, blobs: { incompleteTtlMs: 1000, completeTtlMs: 5000 } });
    expect(blobFiles().sort()).toEqual([`${done.toString('hex')}.bin`, `${done.toString('hex')}.json`]);
    await relay.close();
    clock += 5000;
    relay = await relayInProcess(tmp.dir, { now: () => clock, blobs: { incompleteTtlMs: 1000, completeTtlMs: 5000 } });
    expect(blobFiles()).toEqual([]);
  });
});
