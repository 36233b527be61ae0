/** §16.1 resume: a `chat send-file` and a `chat files accept` killed mid-transfer continue where they stopped. */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aliceAndBob, chat, jsonLines, startChat } from './harness.js';
import type { TestRelay } from '../fixtures/relay.js';
import { scaled } from '../fixtures/scale.js';
import type { TempDir } from '../fixtures/temp.js';

/** Large enough that a kill after the first MiB usually lands mid-transfer (retried when not); 96 MiB when long. */
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
 * undefined if the transfer had already finished (its last event printed) when the kill landed: the test process
 * reads the child's output later than it is written, and on a busy machine 24 MiB over loopback can be done by then
 * (it failed CI once). `log` gets what each attempt saw, for the error if every attempt finished.
 */
async function killMidway(args: string[], home: string, log: string[]): Promise<number | undefined> {
  const run = startChat(args, { home });
  await run.waitFor(/"bytes":[1-9]\d{6,}/);
  run.proc.kill('SIGKILL');
  const exit = await run.exit;
  const lines = jsonLines<Progress>(run.stdout());
  const last = lines.filter((e) => e.event === 'progress').at(-1)!;
  const finished = lines.some((e) => e.event !== 'progress');
  log.push(
    `${args.slice(0, 2).join(' ')}: exit ${exit.code}, last progress ${last.bytes}/${last.total}, final event ${finished}`,
  );
  // Progress counts bytes handed on, not confirmed: an upload may show them all and still be unfinished.
  return finished ? undefined : last.bytes;
}

/** Tries `attempt` (a fresh transfer each time) until one is killed midway; fails after `tries` that all finished. */
async function interrupted<T>(attempt: (k: number, log: string[]) => Promise<T | undefined>, tries = 5): Promise<T> {
  const log: string[] = [];
  for (let k = 0; k < tries; k++) {
    const r = await attempt(k, log);
    if (r !== undefined) return r;
  }
  throw new Error(`all ${tries} transfers finished before the kill landed:\n${log.join('\n')}`);
}

it('an upload and a download killed midway resume from the last confirmed chunk and complete', async () => {
  /** SHA-256 of each file made, by path. */
  const digests = new Map<string, string>();
  const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  /** A new file of SIZE_MIB random MiB for the `k`th attempt. */
  const fresh = (k: number): string => {
    const src = join(t.dir, `resume-${k}.bin`);
    const data = randomBytes(SIZE_MIB * 1024 * 1024);
    writeFileSync(src, data);
    digests.set(src, sha256(data));
    return src;
  };

  // An upload killed midway; one that finished first just leaves an offer, and the next attempt takes a new file.
  const src = await interrupted(async (k, log) => {
    const f = fresh(k);
    return (await killMidway(['send-file', 'bob', f, '--json'], alice, log)) === undefined ? undefined : f;
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
  let file = src;
  const dl = await interrupted(async (k, log) => {
    if (k > 0) {
      file = fresh(100 + k);
      const sent = await chat(['send-file', 'bob', file, '--json'], { home: alice });
      expect(sent.code).toBe(0);
      id = jsonLines<Progress>(sent.stdout).at(-1)!.id;
      expect((await chat(['recv'], { home: bob })).code).toBe(0);
    }
    const dir = join(t.dir, `dl-${k}`);
    const got = await killMidway(['files', 'accept', id, '--dir', dir, '--json'], bob, log);
    // Killed between the rename to the final name and its event: finished too.
    return got === undefined || existsSync(join(dir, basename(file))) ? undefined : dir;
  });
  const final = basename(file);
  expect(readdirSync(dl)).toEqual([`.${final}.${id}.part`]); // nothing under the final name yet
  const a = await chat(['files', 'accept', id, '--dir', dl, '--json'], { home: bob });
  expect(a.stderr).toBe('');
  expect(a.code).toBe(0);
  const down = jsonLines<Progress>(a.stdout);
  expect(down[0]!.bytes).toBeGreaterThan(0);
  expect(down.at(-1)).toMatchObject({ event: 'received', path: join(dl, final) });
  expect(sha256(readFileSync(join(dl, final)))).toBe(digests.get(file));
  expect(readdirSync(dl)).toEqual([final]);
});
