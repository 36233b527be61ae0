/** The binary's surface: help with an example for every command, version, and what start-up does not load. */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAT_BIN, chat } from './harness.js';
import { preparedKeys } from '../fixtures/profiles.js';
import { tempDir } from '../fixtures/temp.js';

const COMMANDS = ['open', 'keygen', 'login', 'send', 'recv', 'whoami', 'contacts'];

describe('chat --help and --version', () => {
  it('--help lists every command and an example for each', async () => {
    const r = await chat(['--help'], { home: '/nonexistent' });
    expect(r.code).toBe(0);
    const [, examples = ''] = r.stdout.split('Examples:');
    for (const c of COMMANDS) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}chat ${c}\\b`, 'm'));
      expect(examples).toMatch(new RegExp(`chat ${c}\\b`));
    }
    // Every exit code of PROTOCOL.md §12, 0 to 8 (8 was missing: hunt1).
    const exits = r.stdout.slice(r.stdout.indexOf('Exit codes:')).replace(/\s+/g, ' ');
    for (let code = 0; code <= 8; code++) expect(exits).toMatch(new RegExp(`[:,] ${code} [a-z]`));
  });

  it.each(COMMANDS)('chat %s --help shows an example', async (c) => {
    const r = await chat([c, '--help'], { home: '/nonexistent' });
    expect(r.code).toBe(0);
    expect(r.stdout.split('Examples:')[1] ?? '').toMatch(new RegExp(`chat ${c}\\b`));
  });

  it('--version prints the package version; alone (or -V) without loading yargs', async () => {
    const pkg = JSON.parse(readFileSync(join(CHAT_BIN, '../../../package.json'), 'utf8')) as { version: string };
    expect(await chat(['--version'], { home: '/nonexistent' })).toEqual({
      code: 0,
      stdout: `${pkg.version}\n`,
      stderr: '',
    });
    const r = await chat(['-V'], { home: '/nonexistent', env: { NODE_OPTIONS: `--import=${fileProbe}` } });
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    expect(r.stderr).toMatch(/^RESOLVED file:.*\/chat\.js$/m); // the probe sees the modules
    expect(r.stderr).not.toMatch(/RESOLVED .*\/node_modules\/(\.pnpm\/)?yargs[@/]/);
  });

  it('an output that cannot be written (> /dev/full) is one plain error and exit 1, not a stack trace (hunt2)', () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['--version'], ['contacts']]) {
        const r = spawnSync(process.execPath, [CHAT_BIN, ...args], {
          env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', CHAT_HOME: '/nonexistent' },
          stdio: ['ignore', full, 'pipe'],
          encoding: 'utf8',
        });
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr, args.join(' ')).toBe('chat: error: cannot write the output: ENOSPC\n');
      }
    } finally {
      closeSync(full);
    }
  });
});

// The native SQLite addon shows up in the process's memory map once loaded; check it at exit (Linux only).
const probe = `data:text/javascript,${encodeURIComponent(
  "import { readFileSync, writeSync } from 'node:fs'; process.on('exit', () => { if (readFileSync('/proc/self/maps', 'utf8').includes('better_sqlite3.node')) writeSync(2, 'SQLITE-LOADED'); });",
)}`;

describe.runIf(process.platform === 'linux')('start-up', () => {
  it('--help, --version, keygen and whoami do not load better-sqlite3; contacts does', async () => {
    const t = tempDir('startup');
    try {
      const home = t.dir;
      const env = { NODE_OPTIONS: `--import=${probe}` };
      // keygen --no-passphrase: what is loaded is under test here, not the 128 MiB scrypt of a sealed key.
      for (const args of [['--help'], ['--version'], ['keygen', '--no-passphrase'], ['whoami']]) {
        const r = await chat(args, { home, env });
        expect(r.code, args[0]).toBe(0);
        expect(r.stderr, args[0]).not.toContain('SQLITE-LOADED');
      }
      // The probe itself works: a command that opens the history loads it.
      writeFileSync(join(home, 'chat.db'), ''); // an empty file is an empty SQLite database
      expect((await chat(['contacts'], { home, env })).stderr).toContain('SQLITE-LOADED');
    } finally {
      t.cleanup();
    }
  });
});

// A module-resolution hook (node:module register) that reports every resolution of Ink or React on stderr.
const hooks = `data:text/javascript,${encodeURIComponent(
  "import { writeSync } from 'node:fs'; export async function resolve(s, c, next) { const r = await next(s, c); if (/\\/node_modules\\/(\\.pnpm\\/)?(ink|react)[@/]/.test(r.url)) writeSync(2, 'UI-LOADED ' + s + '\\n'); return r; }",
)}`;
const uiProbe = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hooks)});`)}`;

describe('start-up without the UI', () => {
  it('send, recv, whoami, contacts, keygen and --help never load Ink or React; the interactive session does', async () => {
    const t = tempDir('startup-ui');
    try {
      const home = t.dir;
      const env = { NODE_OPTIONS: `--import=${uiProbe}` };
      for (const args of [
        ['--help'],
        ['send', '--help'],
        ['keygen', '--no-passphrase'],
        ['whoami'],
        ['contacts'],
        ['send', 'bob', 'hi'],
        ['recv'],
      ]) {
        const r = await chat(args, { home, env });
        expect(r.stderr, args.join(' ')).not.toContain('UI-LOADED');
      }
      // The probe itself works: `chat` (refusing to run without a terminal) has loaded Ink by then.
      const ui = await chat([], { home, env });
      expect(ui.stderr).toContain('UI-LOADED');
      expect(ui.code).toBe(2);
      expect(ui.stderr).toContain('chat: error: the interactive session needs a terminal');
    } finally {
      t.cleanup();
    }
  });
});

// The same kind of hook, reporting every file module resolved: which packages load, and whether the CLI's own code
// comes from the bundle (packages/cli/dist/bin) or from tsc's per-file output.
const fileHooks = `data:text/javascript,${encodeURIComponent(
  "import { writeSync } from 'node:fs'; export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) writeSync(2, 'RESOLVED ' + r.url + '\\n'); return r; }",
)}`;
const fileProbe = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(fileHooks)});`)}`;

describe('start-up of the one-shot commands', () => {
  it('send and recv run from the bundle and never load yargs; --help does', async () => {
    const t = tempDir('startup-bundle');
    try {
      const env = { NODE_OPTIONS: `--import=${fileProbe}` };
      for (const args of [
        ['send', 'bob', 'hi'],
        ['send', '--json', 'bob', 'hi'],
        ['recv'],
        ['recv', '--follow', '--json'],
      ]) {
        const r = await chat(args, { home: t.dir, env });
        expect(r.stderr, args.join(' ')).toContain('chat: error: no identity'); // it got as far as the profile
        const loaded = r.stderr.split('\n').filter((l) => l.startsWith('RESOLVED '));
        expect(
          loaded.filter((l) => /\/node_modules\/(\.pnpm\/)?yargs[@/]/.test(l)),
          args.join(' '),
        ).toEqual([]);
        expect(
          loaded.filter((l) => /\/packages\/(crypto|protocol)\/dist\/|\/packages\/cli\/dist\/(?!bin\/)/.test(l)),
          args.join(' '),
        ).toEqual([]);
      }
      // The probe itself works: help, and a shape the fast path leaves alone, go through yargs.
      for (const args of [
        ['send', '--help'],
        ['send', 'bob', '--', '-5'],
      ]) {
        expect((await chat(args, { home: t.dir, env })).stderr, args.join(' ')).toMatch(
          /RESOLVED .*\/node_modules\/(\.pnpm\/)?yargs[@/]/,
        );
      }
    } finally {
      t.cleanup();
    }
  });

  // Issue 15: on a long history these must finish about as soon as Node has started; yargs alone is ~150 ms, and
  // string-width's tables 50-80 ms (needed only to wrap for a terminal or to pad a name that is not ASCII).
  it('history, search, contacts and whoami never load yargs, and into a pipe not string-width either', async () => {
    const t = tempDir('startup-read');
    try {
      const profile = preparedKeys(t.dir);
      profile.saveConfig({ version: 1, username: 'bob', relay: '127.0.0.1:7717', relayId: '01'.repeat(32) });
      writeFileSync(join(t.dir, 'chat.db'), ''); // an empty file is an empty SQLite database
      const env = { NODE_OPTIONS: `--import=${fileProbe}` };
      for (const args of [
        ['history', 'alice'],
        ['history', 'alice', '--limit', '5', '--json'],
        ['search', 'needle', '--in', 'alice'],
        ['contacts'],
        ['contacts', '--json'],
        ['whoami'],
      ]) {
        const r = await chat(args, { home: t.dir, env });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        const loaded = r.stderr.split('\n').filter((l) => l.startsWith('RESOLVED '));
        expect(
          loaded.filter((l) => /\/node_modules\/(\.pnpm\/)?(yargs|string-width)[@/]/.test(l)),
          args.join(' '),
        ).toEqual([]);
      }
      // The probe itself works: the same command with an option the fast path leaves to yargs.
      const r = await chat(['history', 'alice', '--limit=5'], { home: t.dir, env });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/RESOLVED .*\/node_modules\/(\.pnpm\/)?yargs[@/]/);
    } finally {
      t.cleanup();
    }
  });
});
