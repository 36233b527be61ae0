/**
 * The unseal pool (unseal-pool.ts) on real worker threads running the built unseal-worker.js: answers in order across
 * workers and chunks, a box that does not open answered as undefined (the main thread then decides), a worker that
 * fails and a pool closed while busy reject what they hold instead of leaving it pending.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seal, x25519KeyPair } from '@chat/crypto';
import { UnsealPool } from './unseal-pool.js';

const BUILT_WORKER = new URL('../../../dist/engine/v2/unseal-worker.js', import.meta.url);
const te = new TextEncoder();

const keys = x25519KeyPair();
const pools: UnsealPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

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
    const requests = Array.from({ length: 7 }, (_, r) => pool.unseal(boxes(r * 10, 10)));
    const answers = await Promise.all(requests);
    const texts = answers.flat().map((b) => new TextDecoder().decode(b));
    expect(texts).toEqual(Array.from({ length: 70 }, (_, i) => `message ${i}`));
  });

  it('answers undefined for a box that does not open, and opens the others of its request', async () => {
    const pool = start(1);
    const [good, other] = boxes(0, 2);
    const altered = Uint8Array.from(good!);
    altered[altered.length - 1]! ^= 1;
    const forSomeoneElse = seal(te.encode('not ours'), x25519KeyPair().publicKey);
    const r = await pool.unseal([altered, forSomeoneElse, new Uint8Array(3), other!]);
    expect(r.map((b) => (b ? new TextDecoder().decode(b) : undefined))).toEqual([
      undefined,
      undefined,
      undefined,
      'message 1',
    ]);
  });

  it('rejects what a failed worker held, and the requests after it go to the live ones or reject', async () => {
    // A worker script that dies on its first request: the pool must not wait for an answer forever.
    const dying = new URL(
      `data:text/javascript,${encodeURIComponent(
        "import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => { throw new Error('boom'); });",
      )}`,
    );
    const pool = start(2, dying);
    await expect(pool.unseal(boxes(0, 1))).rejects.toThrow();
    await expect(pool.unseal(boxes(0, 1))).rejects.toThrow();
    await expect(pool.unseal(boxes(0, 1))).rejects.toThrow('no unseal worker is running');
  });

  it('closed while busy: what was pending rejects, what comes after rejects at once', async () => {
    const pool = start(1);
    const busy = expect(pool.unseal(boxes(0, 200))).rejects.toThrow('the unseal pool was closed');
    await pool.close();
    await busy;
    await expect(pool.unseal(boxes(0, 1))).rejects.toThrow();
  });

  it('no worker script, no pool (the receiver then opens every box on its own thread)', () => {
    expect(UnsealPool.start(keys, 1, new URL('file:///nonexistent/unseal-worker.js'))).toBeUndefined();
  });
});
