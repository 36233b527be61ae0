/**
 * `npm run cluster` (issue 17, docs/SCALING.md "Trying it"): the script people use to try many relays on one
 * PostgreSQL starts them, a message stored through one relay reaches a user on another, and Ctrl-C stops everything
 * and removes its directories. Free ports (`--port 0 --pg-port 0`) so that the test never meets a port in use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { chat, jsonLines, newUser } from '../e2e/harness.js';
import { tempDir } from '../fixtures/temp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const t = tempDir('cluster-script');
let proc: ChildProcess | undefined;
afterAll(() => {
  if (proc?.exitCode === null) proc.kill('SIGINT');
  t.cleanup();
});

it('npm run cluster: two relays on one PostgreSQL carry a message across, and Ctrl-C removes everything', async () => {
  proc = spawn(
    process.execPath,
    [join(ROOT, 'scripts/cluster.mjs'), '--relays', '2', '--port', '0', '--pg-port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((r) => proc?.once('exit', (code) => r(code)));
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    proc?.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C stops')) resolve();
    });
    void exited.then((code) => reject(new Error(`cluster exited ${code} before it was ready: ${out} ${err}`)));
  });
  const addrs = [...out.matchAll(/relay \d+ {2}(chat:\/\/\S+)/g)].map((m) => m[1] as string);
  expect(addrs).toHaveLength(2);
  expect(new Set(addrs.map((a) => a.split('@')[0])).size).toBe(1); // one certificate for all: one pin fits both
  const dirs = /removes (\S+) and (\S+)\.\n/.exec(out)?.slice(1) ?? [];
  expect(dirs).toHaveLength(2);

  const alice = await newUser(t.dir, 'alice', { address: addrs[0] as string, insecure: false });
  const bob = await newUser(t.dir, 'bob', { address: addrs[1] as string, insecure: false });
  const bobFirst = await chat(['recv', '--json'], { home: bob }); // registers bob (through relay 2)
  expect(bobFirst.code, bobFirst.stderr).toBe(0);
  const sent = await chat(['send', 'bob', 'stored through relay 1'], { home: alice });
  expect(sent.code, sent.stderr).toBe(0);
  const got = await chat(['recv', '--json'], { home: bob });
  expect(got.code, got.stderr).toBe(0);
  expect(jsonLines(got.stdout).map((e) => e.body)).toContain('stored through relay 1');

  proc.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const d of dirs) expect(existsSync(d), d).toBe(false);
});
