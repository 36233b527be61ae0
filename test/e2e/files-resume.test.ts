/** §16.1 resume: a `chat send-file` and a `chat files accept` killed mid-transfer continue where they stopped. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Starts `args`, waits for a progress event past 1 MB, then SIGKILLs it; returns the bytes it had reported. */
async function killMidway(args: string[], home: string): Promise<number> {
  const run = startChat(args, { home });
  await run.waitFor(/"bytes":[1-9]\d{6,}/);
  run.proc.kill('SIGKILL');
  await run.exit;
  const seen = jsonLines<Progress>(run.stdout()).filter((e) => e.event === 'progress');
  expect(seen.at(-1)!.bytes).toBeLessThan(seen.at(-1)!.total); // really interrupted
  return seen.at(-1)!.bytes;
}

it('an upload and a download killed midway resume from the last confirmed chunk and complete', async () => {
  const data = randomBytes(SIZE_MIB * 1024 * 1024);
  const src = join(t.dir, 'resume.bin');
  writeFileSync(src, data);

  await killMidway(['send-file', 'bob', src, '--json'], alice);
  const again = await chat(['send-file', 'bob', src, '--json'], { home: alice });
  expect(again.stderr).toBe('');
  expect(again.code).toBe(0);
  const events = jsonLines<Progress>(again.stdout);
  expect(events[0]).toMatchObject({ event: 'progress' });
  expect(events[0]!.bytes).toBeGreaterThan(0); // started from the relay's have, not from 0
  const id = events.at(-1)!.id;
  const list = jsonLines<{ id: string; state: string }>((await chat(['files', '--json'], { home: alice })).stdout);
  expect(list).toEqual([expect.objectContaining({ id, state: 'offered' })]); // one transfer, not two

  expect((await chat(['recv'], { home: bob })).code).toBe(0);
  const dl = join(t.dir, 'dl');
  await killMidway(['files', 'accept', id, '--dir', dl, '--json'], bob);
  expect(readdirSync(dl)).toEqual([`.resume.bin.${id}.part`]); // nothing under the final name yet
  const a = await chat(['files', 'accept', id, '--dir', dl, '--json'], { home: bob });
  expect(a.stderr).toBe('');
  expect(a.code).toBe(0);
  const down = jsonLines<Progress>(a.stdout);
  expect(down[0]!.bytes).toBeGreaterThan(0);
  expect(down.at(-1)).toMatchObject({ event: 'received', path: join(dl, 'resume.bin') });
  expect(
    createHash('sha256')
      .update(readFileSync(join(dl, 'resume.bin')))
      .digest('hex'),
  ).toBe(createHash('sha256').update(data).digest('hex'));
  expect(readdirSync(dl)).toEqual(['resume.bin']);
});
