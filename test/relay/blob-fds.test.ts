/**
 * File descriptors of the blob store (issue 14, finding 8; PROTOCOL.md §16.4, §11): an unfinished upload, a
 * disconnect mid-upload or an unread `blob_get` must not pin a descriptor, and one account has a bounded number of
 * uploads in progress. The relay runs in this process, so /proc/self/fd shows exactly what it holds open.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity, type Identity } from '@chat/crypto';
import { BLOB_MAX_CHUNK_BYTES, type RelayFrame } from '@chat/protocol';
import type { RelayOptions } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess as relayOn } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Descriptors this process holds on files under `dir`. */
function openUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(join('/proc/self/fd', fd));
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed between the listing and the readlink
    }
  }
  return out;
}

async function setup(options: Partial<RelayOptions> = {}) {
  const tmp = tempDir('blob-fds');
  const relay = await relayOn(tmp.dir, options);
  cleanups.push(
    () => tmp.cleanup(),
    () => relay.close(),
  );
  const ids: Record<string, Identity> = {};
  const login = async (user: string) => {
    const c = await RawClient.connect(relay.port);
    cleanups.push(() => c.close());
    expect(await c.login(user, (ids[user] ??= generateIdentity()))).toMatchObject({ t: 'welcome' });
    return c;
  };
  (await login('bob')).close();
  return { relay, blobDir: join(tmp.dir, 'blobs'), login };
}

let rid = 1;
function ask(c: RawClient, frame: Record<string, unknown>): Promise<RelayFrame> {
  const r = rid++;
  c.send({ ...frame, rid: r } as never);
  return c.next((f) => 'rid' in f && f.rid === r);
}

/** A blob of `chunks` full sealed chunks: the relay checks only the STREAM shape, never the bytes. */
const chunk = () => new Uint8Array(randomBytes(BLOB_MAX_CHUNK_BYTES));
const newBlob = (c: RawClient, bid: Buffer, chunks: number) =>
  ask(c, { t: 'blob_new', bid, to: 'bob', size: chunks * BLOB_MAX_CHUNK_BYTES, chunks });

describe('blob store descriptors', () => {
  it('holds no descriptor for unfinished uploads, during or after the connection', async () => {
    const { blobDir, login } = await setup();
    const mallory = await login('mallory');
    for (let i = 0; i < 10; i++) {
      const bid = randomBytes(16);
      expect(await newBlob(mallory, bid, 4)).toMatchObject({ t: 'blob_ok', have: 0 });
      expect(await ask(mallory, { t: 'blob_put', bid, n: 0, data: chunk() })).toMatchObject({ t: 'blob_ok', have: 1 });
    }
    expect(openUnder(blobDir)).toEqual([]);
    mallory.close();
    await mallory.closedPromise;
    expect(openUnder(blobDir)).toEqual([]);
  });

  it('caps the uploads one account has in progress (maxUploadsPerUser)', async () => {
    const { login } = await setup({ limits: { maxUploadsPerUser: 3 } });
    const mallory = await login('mallory');
    for (let i = 0; i < 3; i++) expect(await newBlob(mallory, randomBytes(16), 2)).toMatchObject({ t: 'blob_ok' });
    expect(await newBlob(mallory, randomBytes(16), 2)).toMatchObject({
      t: 'err',
      code: 'QUOTA_EXCEEDED',
      fatal: false,
    });
  });

  it('holds no descriptor for a blob_get whose reader stopped reading', async () => {
    const { blobDir, login } = await setup();
    const alice = await login('alice');
    const bid = randomBytes(16);
    const chunks = 256; // 16 MiB: far more than the socket buffers hold
    expect(await newBlob(alice, bid, chunks)).toMatchObject({ t: 'blob_ok' });
    for (let n = 0; n < chunks; n++)
      expect(await ask(alice, { t: 'blob_put', bid, n, data: chunk() })).toMatchObject({ have: n + 1 });
    const bob = await login('bob');
    const r = rid++;
    bob.send({ t: 'blob_get', rid: r, bid, from: 0 });
    await bob.next((f) => f.t === 'blob_data');
    bob.socket.pause(); // a reader that never reads again: the relay's writes back up
    expect(openUnder(blobDir)).toEqual([]);
  });
});
