/** `-V` / `--version` on both binaries: the package's version, printed without loading SQLite or the engine. */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAT_JS, RELAY_JS, ROOT, runBin } from './run-bin.js';

const version = (pkg: string): string =>
  (JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')) as { version: string }).version;

// Reports at exit whether the native SQLite addon was loaded (Linux: it shows in the memory map).
const probe = `data:text/javascript,${encodeURIComponent(
  "import { readFileSync, writeSync } from 'node:fs'; process.on('exit', () => { if (readFileSync('/proc/self/maps', 'utf8').includes('better_sqlite3.node')) writeSync(2, 'SQLITE-LOADED'); });",
)}`;

describe('chat -V / --version', () => {
  it.each(['-V', '--version'])('chat %s prints the package version and nothing else', async (flag) => {
    expect(await runBin(CHAT_JS, [flag])).toEqual({ code: 0, stdout: `${version('packages/cli')}\n`, stderr: '' });
  });

  it.runIf(process.platform === 'linux')('chat -V does not load SQLite (no store, no engine)', async () => {
    const r = await runBin(CHAT_JS, ['-V'], { NODE_OPTIONS: `--import=${probe}` });
    expect(r).toEqual({ code: 0, stdout: `${version('packages/cli')}\n`, stderr: '' });
  });
});

describe('chat-relay -V / --version', () => {
  it.each(['-V', '--version', '-v'])('chat-relay %s prints the package and protocol versions', async (flag) => {
    expect(await runBin(RELAY_JS, [flag])).toEqual({
      code: 0,
      stdout: `chat-relay ${version('packages/relay')} (protocol 1)\n`,
      stderr: '',
    });
  });

  it('--help names -V', async () => {
    expect((await runBin(RELAY_JS, ['--help'])).stdout).toMatch(/^ {2}-V, --version/m);
  });

  it("a word that only Object.prototype knows is not a subcommand: the usage error's exit 2 (review rev6, L3)", async () => {
    const r = await runBin(RELAY_JS, ['constructor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chat-relay: error: Unexpected argument 'constructor'/);
  });

  it('an output that cannot be written (> /dev/full) is one plain error and exit 1, not a stack trace (hunt2)', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [RELAY_JS, '--version'], {
        stdio: ['ignore', full, 'pipe'],
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('chat-relay: error: cannot write the output: ENOSPC\n');
    } finally {
      closeSync(full);
    }
  });
});
