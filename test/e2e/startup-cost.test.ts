/**
 * What a one-shot `chat` process loads (packages/cli/scripts/bundle.mjs, docs/BENCHMARKS.md "What each chat process
 * costs"): the shapes main.ts runs without yargs take their code from one CommonJS file, dist/bin/chunks/fast-*.cjs;
 * every other invocation uses the ES module chunks and never that file, so no process holds two copies of a module.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chat } from './harness.js';
import { preparedKeys } from '../fixtures/profiles.js';
import { tempDir } from '../fixtures/temp.js';

/** Preloaded with --require: says when the process reads the fast path's file (code-cache.ts reads it whole). */
const PROBE = `const fs = require('node:fs');
const read = fs.readFileSync;
fs.readFileSync = function (p, ...rest) {
  if (typeof p === 'string' && /\\/chunks\\/fast-[^/]*\\.cjs$/.test(p)) process.stderr.write('FAST ' + p + '\\n');
  return read.call(this, p, ...rest);
};`;

describe('the fast path is one file', () => {
  it('send, recv, history, search, contacts and whoami load the fast file; the yargs path does not', async () => {
    const t = tempDir('startup-cost');
    try {
      const probe = join(t.dir, 'probe.cjs');
      writeFileSync(probe, PROBE);
      const home = join(t.dir, 'bob');
      const profile = preparedKeys(home);
      profile.saveConfig({ version: 1, username: 'bob', relay: '127.0.0.1:1', relayId: '01'.repeat(32) });
      writeFileSync(join(home, 'chat.db'), ''); // an empty file is an empty SQLite database
      const env = { NODE_OPTIONS: `--require=${probe}`, CHAT_NO_DAEMON: '1' };
      const fastCjs = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('FAST '));
      for (const args of [['history', 'alice'], ['search', 'needle'], ['contacts', '--json'], ['whoami']]) {
        const r = await chat(args, { home, env });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        expect(fastCjs(r.stderr), args.join(' ')).toHaveLength(1);
      }
      // No relay listens on port 1: send and recv get as far as connecting (exit 5), from the fast file.
      for (const args of [['send', 'alice', 'hi'], ['recv']]) {
        const r = await chat(args, { home, env });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(5);
        expect(fastCjs(r.stderr), args.join(' ')).toHaveLength(1);
      }
      for (const args of [
        ['send', '--help'],
        ['send', 'alice', '--', '-5'],
        ['send'],
        ['--help'],
        ['open', '--help'],
      ]) {
        const r = await chat(args, { home, env });
        expect(fastCjs(r.stderr), args.join(' ')).toEqual([]);
      }
    } finally {
      t.cleanup();
    }
  });
});
