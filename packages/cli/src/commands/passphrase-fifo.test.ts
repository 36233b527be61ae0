/**
 * A passphrase file that is a FIFO nobody writes to (`chat daemon --passphrase-file <pipe>` before the writer comes),
 * and a stop: the read must end, or a stopped daemon never exits (it did, on a busy machine, in the full suite: the
 * signal came before the read was started, or before the thread pool had opened the pipe).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../../../../test/fixtures/temp.js';
import type { Io } from './io.js';
import { KEY_PASSPHRASE, readPassphrase } from './passphrase.js';

const t = tempDir('passphrase-fifo');
afterEach(() => {
  // A read that a failing test left waiting: a writer's open lets its thread go.
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {}
});

const fifo = join(t.dir, 'pipe');
execFileSync('mkfifo', [fifo]); // Node has no mkfifo of its own

function io(signal: AbortSignal): Io {
  return {
    stdout: { write: () => true },
    stderr: { write: () => true },
    stdin: process.stdin,
    env: { CHAT_PASSPHRASE_FILE: fifo },
    signal,
  };
}

/** Settles, or says it hung: a minute is a hang on any machine (the read ends within milliseconds when it works). */
async function settles(p: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 60_000)));
  const outcome = await Promise.race([
    p.then(
      () => 'settled',
      () => 'settled',
    ),
    hung,
  ]);
  clearTimeout(timer);
  expect(outcome).toBe('settled');
}

it('stopped before the read starts: it does not wait for a writer', async () => {
  const stop = new AbortController();
  stop.abort('SIGTERM');
  await settles(readPassphrase(io(stop.signal), KEY_PASSPHRASE, 'passphrase'));
});

it('stopped before the thread pool has opened the pipe: the read still ends', async () => {
  // Every thread of the pool blocked in the open() of another pipe, so that the passphrase read's open() waits in the
  // queue: the stop comes before it, for certain. Then the pool is let go.
  const blocker = join(t.dir, 'blocker');
  execFileSync('mkfifo', [blocker]);
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const blocked = Array.from({ length: threads }, () => readFile(blocker, 'utf8'));
  const stop = new AbortController();
  const reading = readPassphrase(io(stop.signal), KEY_PASSPHRASE, 'passphrase');
  stop.abort('SIGTERM');
  await new Promise((r) => setTimeout(r, 0)); // the stop's first attempt at the pipe (no reader on it yet) is made
  closeSync(openSync(blocker, constants.O_WRONLY | constants.O_NONBLOCK)); // the blocked opens return, read EOF
  await Promise.all(blocked);
  await settles(reading);
});

it('not stopped: what a writer then sends is read', async () => {
  const reading = readPassphrase(io(new AbortController().signal), KEY_PASSPHRASE, 'passphrase');
  await writeFile(fifo, 'correct horse\n');
  await expect(reading).resolves.toBe('correct horse');
});
