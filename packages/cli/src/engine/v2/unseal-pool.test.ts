/**
 * The unseal pool (unseal-pool.ts) and the receiver's side of it (receive/unseal-ahead.ts) on real worker threads
 * running the built unseal-worker.js: answers in order across workers and chunks, a box that does not open answered as
 * undefined (the main thread then decides), a box the main thread claimed first skipped (each box opened once), a
 * batch never waiting for a worker that has not reached it, a worker that fails and a pool closed while busy
 * rejecting what they hold instead of leaving it pending.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openSealed, randomMessageId, seal, x25519KeyPair } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import { UnsealAhead } from '../receive/unseal-ahead.js';
import { ENVELOPE_V2 } from './envelope.js';
import { CLAIM_FREE, UNSEAL_WORKER_NICE } from './unseal-messages.js';
import { type UnsealChunk, UnsealPool, claimForMain } from './unseal-pool.js';

const BUILT_WORKER = new URL('../../../dist/engine/v2/unseal-worker.js', import.meta.url);
const te = new TextEncoder();
const td = new TextDecoder();

const keys = x25519KeyPair();
const pools: UnsealPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** A worker script: `body` runs on each request `r` (an UnsealRequest). */
const scripted = (body: string): URL =>
  new URL(
    `data:text/javascript,${encodeURIComponent(`import { parentPort } from 'node:worker_threads'; parentPort.on('message', (r) => { ${body} });`)}`,
  );

function start(size: number, url: URL = BUILT_WORKER): UnsealPool {
  const pool = UnsealPool.start(keys, size, url);
  if (!pool) throw new Error('no pool: run npm run build first (the worker is the built unseal-worker.js)');
  pools.push(pool);
  return pool;
}

const boxes = (from: number, n: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => seal(te.encode(`message ${from + i}`), keys.publicKey));

describe('UnsealPool', () => {
  it('opens every box, each answer in the order of its request, across workers and requests', async () => {
    const pool = start(3);
    const requests = Array.from({ length: 7 }, (_, r) => pool.unseal(boxes(r * 10, 10)).answer);
    const answers = await Promise.all(requests);
    const texts = answers.flat().map((b) => td.decode(b!));
    expect(texts).toEqual(Array.from({ length: 70 }, (_, i) => `message ${i}`));
  });

  it("leaves the caller's keys as they were; the copy the workers read is wiped when the pool closes", async () => {
    const mine = x25519KeyPair();
    const before = [Uint8Array.from(mine.publicKey), Uint8Array.from(mine.secretKey)];
    const pool = UnsealPool.start(mine, 2, BUILT_WORKER)!;
    expect([mine.publicKey, mine.secretKey]).toEqual(before);
    const box = seal(te.encode('to mine'), mine.publicKey);
    expect((await pool.unseal([box]).answer).map((b) => td.decode(b!))).toEqual(['to mine']);
    // The shared copy (a private field: what the workers were handed) holds the keys until close, then zeros.
    const shared = (pool as unknown as { sharedKeys: Uint8Array }).sharedKeys;
    expect([...shared.subarray(32)]).toEqual([...mine.secretKey]);
    await pool.close();
    expect(shared.every((b) => b === 0)).toBe(true);
    expect([mine.publicKey, mine.secretKey]).toEqual(before);
  });

  it('answers undefined for a box that does not open, and opens the others of its request', async () => {
    const pool = start(1);
    const [good, other] = boxes(0, 2);
    const altered = Uint8Array.from(good!);
    altered[altered.length - 1]! ^= 1;
    const forSomeoneElse = seal(te.encode('not ours'), x25519KeyPair().publicKey);
    const r = await pool.unseal([altered, forSomeoneElse, new Uint8Array(3), other!]).answer;
    expect(r.map((b) => (b ? td.decode(b) : b))).toEqual([undefined, undefined, undefined, 'message 1']);
  });

  it('rejects what a failed worker held, and the requests after it go to the live ones or reject', async () => {
    // A worker script that dies on its first request: the pool must not wait for an answer forever.
    const pool = start(2, scripted("throw new Error('boom');"));
    await expect(pool.unseal(boxes(0, 1)).answer).rejects.toThrow();
    await expect(pool.unseal(boxes(0, 1)).answer).rejects.toThrow();
    await expect(pool.unseal(boxes(0, 1)).answer).rejects.toThrow('no unseal worker is running');
  });

  it('closed while busy: what was pending rejects, what comes after rejects at once', async () => {
    const pool = start(1);
    const busy = expect(pool.unseal(boxes(0, 200)).answer).rejects.toThrow('the unseal pool was closed');
    await pool.close();
    await busy;
    await expect(pool.unseal(boxes(0, 1)).answer).rejects.toThrow();
  });

  it('a box the main thread claimed first is skipped by the worker: every box opened exactly once', async () => {
    const pool = start(1);
    // The worker answers in order: while the first chunk's last box is unclaimed, it has not begun the second.
    const first = pool.unseal(boxes(0, 300));
    const second = pool.unseal(boxes(300, 100));
    const before = Atomics.load(first.claims, 299) === CLAIM_FREE;
    const mine = new Set<number>();
    for (let i = 99; i >= 0; i -= 2) if (claimForMain(second, i)) mine.add(i);
    if (before) expect(mine.size).toBe(50);
    const [a, b] = await Promise.all([first.answer, second.answer]);
    expect(a.map((x) => td.decode(x!))).toEqual(Array.from({ length: 300 }, (_, i) => `message ${i}`));
    // Claimed here: null (not opened there); the others opened there, whichever came first.
    expect(b.map((x, i) => (mine.has(i) ? x : td.decode(x!)))).toEqual(
      Array.from({ length: 100 }, (_, i) => (mine.has(i) ? null : `message ${300 + i}`)),
    );
    // A box the worker claimed stays the worker's.
    expect(claimForMain(first, 0)).toBe(false);
  });

  it.runIf(existsSync('/proc/thread-self'))('its worker runs niced, below the main thread (Linux)', async () => {
    const pool = start(1);
    await pool.unseal(boxes(0, 1)).answer;
    const nice = (t: string): number =>
      Number(readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const mine = nice(String(process.pid));
    expect(readdirSync('/proc/self/task').map(nice)).toContain(Math.min(19, mine + UNSEAL_WORKER_NICE));
  });

  it('no worker script, no pool (the receiver then opens every box on its own thread)', () => {
    expect(UnsealPool.start(keys, 1, new URL('file:///nonexistent/unseal-worker.js'))).toBeUndefined();
  });
});

const frameOf = (sealed: Uint8Array): MsgFrame => {
  const env = new Uint8Array(1 + sealed.length);
  env[0] = ENVELOPE_V2;
  env.set(sealed, 1);
  return { t: 'msg', id: randomMessageId(), env, ts: Date.now() };
};

/** Node 20 has it; TypeScript's lib for our target does not declare it yet. */
const { waitAsync } = Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { value: Promise<string> | string };
};

/** The chunks `pool` sends, as they are sent. */
function sentBy(pool: UnsealPool): UnsealChunk[] {
  const chunks: UnsealChunk[] = [];
  const unseal = pool.unseal.bind(pool);
  pool.unseal = (b) => {
    const c = unseal(b);
    chunks.push(c);
    return c;
  };
  return chunks;
}

const frames = (n: number): MsgFrame[] => boxes(0, n).map(frameOf);

/** An UnsealAhead over `pool` with `n` frames added and sent to it, and the chunks it sent (sentBy). */
function sentAhead(pool: UnsealPool, n: number): { ahead: UnsealAhead; all: MsgFrame[]; chunks: UnsealChunk[] } {
  const chunks = sentBy(pool);
  const ahead = new UnsealAhead(pool);
  const all = frames(n);
  for (const f of all) ahead.add(f);
  ahead.flush();
  return { ahead, all, chunks };
}

describe('UnsealAhead', () => {
  it('hands each frame its own inner bytes from the answers, in order, across batches', async () => {
    const { ahead, all, chunks } = sentAhead(start(1), 700);
    await Promise.all(chunks.map((c) => c.answer));
    const got: (string | undefined)[] = [];
    for (let i = 0; i < all.length; i += 128)
      for (const inner of await ahead.take(all.slice(i, i + 128), keys.publicKey)) got.push(inner && td.decode(inner));
    expect(got).toEqual(Array.from({ length: 700 }, (_, i) => `message ${i}`));
  });

  it('a batch taken while the worker works: each box from the worker or left to the main thread, in order', async () => {
    const ahead = new UnsealAhead(start(1));
    const all = frames(700);
    for (const f of all) ahead.add(f);
    const got: string[] = [];
    for (let i = 0; i < all.length; i += 128) {
      const batch = all.slice(i, i + 128);
      const inners = await ahead.take(batch, keys.publicKey);
      inners.forEach((inner, k) => got.push(td.decode(inner ?? openedHere(batch[k]!))));
    }
    expect(got).toEqual(Array.from({ length: 700 }, (_, i) => `message ${i}`));
  });

  it('never waits for a worker that has not reached a box: the main thread takes it', async () => {
    // A worker that never answers nor claims: before the claims, take() waited for it forever.
    const ahead = new UnsealAhead(start(1, scripted('')));
    const all = frames(100);
    for (const f of all) ahead.add(f);
    expect(await ahead.take(all, keys.publicKey)).toEqual(all.map(() => undefined));
  });

  it('waits for a box the worker claimed; the main thread opens it if the worker stops without answering', async () => {
    const pool = start(
      1,
      scripted('for (let i = 0; i < r.claims.length; i++) Atomics.store(r.claims, i, 1); Atomics.notify(r.claims, 0);'),
    );
    const { ahead, all, chunks } = sentAhead(pool, 10);
    await waitAsync(chunks[0]!.claims, 0, CLAIM_FREE).value; // the worker holds the claims
    let settled = false;
    const taken = ahead.take(all, keys.publicKey).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await pool.close();
    expect(await taken).toEqual(all.map(() => undefined));
  });

  it('hands out nothing opened under a key that is no longer ours', async () => {
    const { ahead, all, chunks } = sentAhead(start(1), 64);
    expect((await chunks[0]!.answer).every((b) => b instanceof Uint8Array)).toBe(true);
    expect(await ahead.take(all, x25519KeyPair().publicKey)).toEqual(all.map(() => undefined));
  });
});

function openedHere(frame: MsgFrame): Uint8Array {
  return openSealed(frame.env.subarray(1), keys.publicKey, keys.secretKey);
}
