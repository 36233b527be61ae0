/**
 * End-to-end harness: the BUILT `chat` as a child process (`npm run build` first). Relays come from
 * test/fixtures/relay.ts, temp directories from test/fixtures/temp.ts. The relay a `chat` talks to runs in the test's
 * own process (`relayInProcess`: the same server over real TLS on port 0) unless the test is about the `chat-relay`
 * binary itself (its flags, output, signals, restarts): a relay binary costs about 1 s of CPU to start (Node, its
 * modules, a fresh TLS certificate), which most files paid for a server they only talk to. Apart from preparing a
 * user's profile (test/fixtures/profiles.ts), nothing here knows the client's internals; it runs commands and reads
 * their output.
 */
import { spawn, type ChildProcess, type SpawnOptionsWithStdioTuple, type StdioPipe } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { preparedProfile, sealedProfile } from '../fixtures/profiles.js';
import { relayInProcess, type InProcessRelay, type TestRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const CHAT_BIN = join(ROOT, 'packages/cli/dist/bin/chat.js');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ChatOptions {
  home: string;
  stdin?: string;
  /** Extra environment; a value of `undefined` removes a default (e.g. `CHAT_PASSPHRASE`). */
  env?: Record<string, string | undefined>;
  /** The working directory (default: the test's), for relative paths on the command line. */
  cwd?: string;
}

/**
 * The passphrase every test user's keys are sealed with (PROTOCOL.md §13.1): `chat keygen` in newUser and every
 * other command get it from CHAT_PASSPHRASE, as a script would. A test that needs another one sets `env`.
 */
export const TEST_PASSPHRASE = 'correct horse battery staple';

function chatEnv(o: ChatOptions): NodeJS.ProcessEnv {
  // A clean environment: no CHAT_RELAY or XDG settings leak in from the developer's shell.
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '',
    HOME: o.home,
    CHAT_HOME: o.home,
    TZ: 'UTC',
    CHAT_PASSPHRASE: TEST_PASSPHRASE,
    ...o.env,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Spawn options for every `chat` the harness runs: pipes, and a session of its own (setsid), so the child has no
 * controlling terminal even when the tests run in one. Otherwise a passphrase prompt would open the developer's
 * /dev/tty and wait, and CI (no terminal) would behave differently from a laptop.
 */
function spawnOptions(o: ChatOptions): SpawnOptionsWithStdioTuple<StdioPipe, StdioPipe, StdioPipe> {
  return { env: chatEnv(o), stdio: ['pipe', 'pipe', 'pipe'], detached: true, ...(o.cwd ? { cwd: o.cwd } : {}) };
}

/** Runs `chat ...args` to completion. stdin is a pipe (closed at once when no input is given); no terminal. */
export function chat(args: readonly string[], o: ChatOptions): Promise<Result> {
  const proc = spawn(process.execPath, [CHAT_BIN, ...args], spawnOptions(o));
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end(o.stdin ?? '');
  return new Promise((r) => proc.once('close', (code) => r({ code, stdout, stderr })));
}

/** A long-running `chat` (e.g. `recv --follow`) whose output can be awaited line by line. */
export interface Running {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout matches `re` (or rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  exit: Promise<Result>;
}

export function startChat(args: readonly string[], o: ChatOptions): Running {
  const proc = spawn(process.execPath, [CHAT_BIN, ...args], spawnOptions(o));
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  const wake = (): void => waiters.splice(0).forEach((w) => w());
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    wake();
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    wake();
  });
  proc.stdin.end();
  const exit = new Promise<Result>((r) =>
    proc.once('close', (code) => {
      wake();
      r({ code, stdout, stderr });
    }),
  );
  return {
    proc,
    stdout: () => stdout,
    stderr: () => stderr,
    exit,
    waitFor: (re, ms = 60_000) =>
      new Promise<void>((resolveWait, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`timed out waiting for ${re}; stdout: ${stdout}; stderr: ${stderr}`)),
          ms,
        );
        const check = (): void => {
          if (re.test(stdout)) {
            clearTimeout(deadline);
            resolveWait();
          } else if (proc.exitCode !== null) {
            clearTimeout(deadline);
            reject(new Error(`exited ${proc.exitCode} before ${re}; stdout: ${stdout}; stderr: ${stderr}`));
          } else waiters.push(check);
        };
        check();
      }),
  };
}

/**
 * A user `name` on `relay` in a fresh profile under `root`; returns the profile directory. The one place that decides
 * how test users are made. By default a prepared profile (unencrypted keys made in this process, logged in with the
 * relay's pinned address): a test that is not about keys pays no child process and no scrypt for its users. With
 * `{ sealed: true }`, the same profile with its keys sealed under TEST_PASSPHRASE in this process (one scrypt run):
 * for tests about what the passphrase protects. With `{ cli: true }`, the real `chat keygen` (keys sealed with
 * TEST_PASSPHRASE from CHAT_PASSPHRASE) and `chat login`: for tests about those commands' result.
 */
export async function newUser(
  root: string,
  name: string,
  relay: Pick<TestRelay, 'address' | 'insecure'>,
  { cli = false, sealed = false }: { cli?: boolean; sealed?: boolean } = {},
): Promise<string> {
  const home = join(root, name);
  if (sealed) {
    await sealedProfile(home, name, relay, TEST_PASSPHRASE);
    return home;
  }
  if (!cli) {
    await preparedProfile(home, name, relay);
    return home;
  }
  const k = await chat(['keygen'], { home });
  if (k.code !== 0) throw new Error(`keygen failed: ${k.stderr}`);
  const l = await chat(['login', name, '--relay', relay.address, ...(relay.insecure ? ['--insecure'] : [])], { home });
  if (l.code !== 0) throw new Error(`login failed: ${l.stderr}`);
  return home;
}

/** The JSON lines of a `--json` output. */
export function jsonLines<T = Record<string, unknown>>(out: string): T[] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** A relay in a fresh temp dir with alice and bob registered on it: where most end-to-end files start. */
export async function aliceAndBob(
  prefix: string,
): Promise<{ t: TempDir; relay: InProcessRelay; alice: string; bob: string }> {
  const t = tempDir(prefix);
  const relay = await relayInProcess(join(t.dir, 'relay'));
  const alice = await newUser(t.dir, 'alice', relay);
  const bob = await newUser(t.dir, 'bob', relay);
  return { t, relay, alice, bob };
}

/** A test file's relay and users, made once in its hooks (e2eWorld). */
export interface E2eWorld {
  /** Each user's profile directory. */
  home: Record<string, string>;
  /** Runs `chat ...args` as `user`; a non-zero exit throws with its stderr. */
  run(user: string, args: readonly string[]): Promise<Result>;
  /** The file's temp directory (valid inside tests and hooks). */
  dir(): string;
}

/**
 * Registers `beforeAll` / `afterAll` that start a relay (in process) in a temp dir named after `prefix` and make
 * `users` as prepared profiles on it, and stop and remove everything after the file.
 */
export function e2eWorld(prefix: string, users: readonly string[]): E2eWorld {
  let t: TempDir | undefined;
  let relay: InProcessRelay | undefined;
  const home: Record<string, string> = {};
  beforeAll(async () => {
    t = tempDir(prefix);
    relay = await relayInProcess(join(t.dir, 'relay'));
    for (const u of users) home[u] = await newUser(t.dir, u, relay);
  });
  afterAll(async () => {
    await relay?.stop();
    t?.cleanup();
  });
  return {
    home,
    async run(user, args) {
      const r = await chat(args, { home: home[user]! });
      if (r.code !== 0) throw new Error(`chat ${args.join(' ')} as ${user}: exit ${r.code}: ${r.stderr}`);
      return r;
    },
    dir() {
      if (!t) throw new Error('e2eWorld: used outside a test');
      return t.dir;
    },
  };
}
