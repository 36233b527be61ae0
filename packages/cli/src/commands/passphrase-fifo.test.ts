/**
 * A passphrase file that is a FIFO (`chat daemon --passphrase-file <pipe>` before the writer comes): read when the
 * writer comes, and a stop ends the wait whatever happened to the pipe meanwhile, or a stopped daemon never exits. (It
 * did not, once, in a full suite on a busy machine: the read then waited on the thread pool, blocked in open().)
 */
import { execFileSync } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { ChatError } from '../engine/errors.js';
import type { Io } from './io.js';
import { KEY_PASSPHRASE, MAX_PASSPHRASE_FILE_BYTES, readPassphrase } from './passphrase.js';

const t = tempDir('passphrase-fifo');
afterAll(() => t.cleanup());
let n = 0;

/** A fresh named pipe (Node has no mkfifo of its own). */
function fifo(): string {
  const path = join(t.dir, `pipe-${n++}`);
  execFileSync('mkfifo', [path]);
  return path;
}

function io(file: string, signal?: AbortSignal): Io {
  return {
    stdout: { write: () => true },
    stderr: { write: () => true },
    stdin: process.stdin,
    env: { CHAT_PASSPHRASE_FILE: file },
    ...(signal ? { signal } : {}),
  };
}

const read = (file: string, signal?: AbortSignal) => readPassphrase(io(file, signal), KEY_PASSPHRASE, 'passphrase');

/** Rejects with the stop's own error, or says it hung: a minute is a hang on any machine (it ends at once). */
async function stops(p: Promise<unknown>, code: 'INTERRUPTED' | 'TERMINATED'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((r) => (timer = setTimeout(() => r('hung'), 60_000)));
  const outcome = await Promise.race([
    p.then(
      (v) => `read ${String(v)}`,
      (e: unknown) => e,
    ),
    hung,
  ]);
  clearTimeout(timer);
  expect(outcome).toBeInstanceOf(ChatError);
  expect(outcome).toMatchObject({ code });
}

it('what the writer sends is read; a regular file as before', async () => {
  const pipe = fifo();
  const reading = read(pipe);
  await writeFile(pipe, 'correct horse\n');
  await expect(reading).resolves.toBe('correct horse');
  const plain = join(t.dir, 'plain');
  writeFileSync(plain, 'battery staple\n');
  await expect(read(plain)).resolves.toBe('battery staple');
});

it('stopped before the read begins or while it waits for a writer: INTERRUPTED or TERMINATED, no wait', async () => {
  const before = new AbortController();
  before.abort('SIGTERM');
  await stops(read(fifo(), before.signal), 'TERMINATED');
  const sameTurn = new AbortController();
  const reading = read(fifo(), sameTurn.signal);
  sameTurn.abort('SIGINT');
  await stops(reading, 'INTERRUPTED');
});

it('the pipe removed, or replaced by a regular file, while the read waits: a stop still ends it', async () => {
  for (const replace of [false, true]) {
    const pipe = fifo();
    const stop = new AbortController();
    const reading = read(pipe, stop.signal);
    unlinkSync(pipe);
    if (replace) writeFileSync(pipe, 'not this\n');
    stop.abort('SIGTERM');
    await stops(reading, 'TERMINATED');
  }
});

it('a stop gives another reader of the same pipe nothing: it still gets what the writer sends', async () => {
  const pipe = fifo();
  const other = read(pipe); // another program waiting on the same pipe
  const stop = new AbortController();
  const reading = read(pipe, stop.signal);
  stop.abort('SIGTERM');
  await stops(reading, 'TERMINATED');
  await writeFile(pipe, 'for the other one\n');
  await expect(other).resolves.toBe('for the other one'); // not an empty read from our stop (review rev17)
});

it('more than 64 KiB is not a passphrase: refused from a pipe, a regular file and a device, without reading on', async () => {
  const pipe = fifo();
  const reading = read(pipe);
  const writing = writeFile(pipe, 'x'.repeat(MAX_PASSPHRASE_FILE_BYTES + 10_000)).catch(() => {}); // EPIPE once refused
  await expect(reading).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
  await writing;
  const big = join(t.dir, 'big');
  writeFileSync(big, 'x'.repeat(MAX_PASSPHRASE_FILE_BYTES + 1));
  await expect(read(big)).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
  await expect(read('/dev/zero')).rejects.toMatchObject({ code: 'FILE_UNREADABLE' }); // endless
});
