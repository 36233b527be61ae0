/** §16.1 resume: a `chat send-file` and a `chat files accept` killed mid-transfer continue where they stopped. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aliceAndBob, chat, jsonLines, startChat } from './harness.js';
import type { TestRelay } from '../fixtures/relay.js';
import { scaled } from '../fixtures/scale.js';
import type { TempDir } from '../fixtures/temp.js';

/** Large enough that a kill after the first MiB lands mid-transfer (checked below); 96 MiB under CHAT_TEST_SCALE=long. */
const SIZE_MIB = scaled(24, 96);

let t: TempDir;
let relay: TestRelay;
let alice: string;
let bob: string;

beforeAll(async () => {
  ({ t, relay, alice, bob } = await aliceAndBob('files-resume'));
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

interface Progress {
  event: string;
  bytes: number;
  total: number;
  id: string;
  path?: string;
}

/**
 * Starts `args`, waits for a progress event past 1 MB, then SIGKILLs it; returns the bytes it had reported, or
 * undefined if the transfer had already finished when the kill landed: the test process reads the child's output
 * later than it is written, and on a busy machine 24 MiB over loopback can be done by then (it failed CI once).
 */
async function killMidway(args: string[], home: string): Promise<number | undefined> {
  const run = startChat(args, { home });
  await run.waitFor(/"bytes":[1-9]\d{6,}/);
  run.proc.kill('SIGKILL');
  await run.exit;
  const seen = jsonLines<Progress>(run.stdout()).filter((e) => e.event === 'progress');
  const last = seen.at(-1)!;
  return last.bytes < last.total ? last.bytes : undefined;
}

/** Tries `attempt` (a fresh transfer each time) until one is killed midway; fails after `tries` that all finished. */
async function interrupted<T>(attempt: (k: number) => Promise<T | undefined>, tries = 5): Promise<T> {
  for (let k = 0; k < tries; k++) {
    const r = await attempt(k);
    if (r !== undefined) return r;
  }
  throw new Error(`all ${tries} transfers finished before the kill landed`);
}

it('an upload and a download killed midway resume from the last confirmed chunk and complete', async () => {
  const files = new Map<string, Buffer>();
  /** A new file of SIZE_MIB random MiB for the `k`th attempt. */
  const fresh = (k: number): string => {
    const src = join(t.dir, `resume-${k}.bin`);
    const data = randomBytes(SIZE_MIB * 1024 * 1024);
    writeFileSync(src, data);
    files.set(src, data);
    return src;
  };

  // An upload killed midway; one that finished first just leaves an offer, and the next attempt takes a new file.
  const src = await interrupted(async (k) => {
    const f = fresh(k);
    return (await killMidway(['send-file', 'bob', f, '--json'], alice)) === undefined ? undefined : f;
  });
  const again = await chat(['send-file', 'bob', src, '--json'], { home: alice });
  expect(again.stderr).toBe('');
  expect(again.code).toBe(0);
  const events = jsonLines<Progress>(again.stdout);
  expect(events[0]).toMatchObject({ event: 'progress' });
  expect(events[0]!.bytes).toBeGreaterThan(0); // started from the relay's have, not from 0
  let id = events.at(-1)!.id;
  const list = jsonLines<{ id: string; name: string; state: string }>(
    (await chat(['files', '--json'], { home: alice })).stdout,
  );
  const name = basename(src);
  expect(list.filter((x) => x.name === name)).toEqual([expect.objectContaining({ id, state: 'offered' })]); // one, not two

  // A download killed midway; if one finished first, alice offers another file and that one is tried.
  expect((await chat(['recv'], { home: bob })).code).toBe(0);
  let data = files.get(src)!;
  const dl = await interrupted(async (k) => {
    if (k > 0) {
      const f = fresh(100 + k);
      const sent = await chat(['send-file', 'bob', f, '--json'], { home: alice });
      expect(sent.code).toBe(0);
      id = jsonLines<Progress>(sent.stdout).at(-1)!.id;
      data = files.get(f)!;
      expect((await chat(['recv'], { home: bob })).code).toBe(0);
    }
    const dir = join(t.dir, `dl-${k}`);
    return (await killMidway(['files', 'accept', id, '--dir', dir, '--json'], bob)) === undefined ? undefined : dir;
  });
  const partName = readdirSync(dl);
  expect(partName).toHaveLength(1);
  expect(partName[0]).toMatch(new RegExp(`^\\.resume-\\d+\\.bin\\.${id}\\.part$`)); // nothing under the final name yet
  const a = await chat(['files', 'accept', id, '--dir', dl, '--json'], { home: bob });
  expect(a.stderr).toBe('');
  expect(a.code).toBe(0);
  const down = jsonLines<Progress>(a.stdout);
  expect(down[0]!.bytes).toBeGreaterThan(0);
  const final = partName[0]!.replace(/^\.(.*)\.[0-9a-f]+\.part$/, '$1');
  expect(down.at(-1)).toMatchObject({ event: 'received', path: join(dl, final) });
  expect(
    createHash('sha256')
      .update(readFileSync(join(dl, final)))
      .digest('hex'),
  ).toBe(createHash('sha256').update(data).digest('hex'));
  expect(readdirSync(dl)).toEqual([final]);
});
