/**
 * End-to-end harness: the BUILT binaries as child processes (`npm run build` first), temp profiles and relay data dirs.
 * Nothing here knows the client's or relay's internals; it only runs commands and reads their output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const CHAT_BIN = join(ROOT, 'packages/cli/dist/bin/chat.js');
export const RELAY_BIN = join(ROOT, 'packages/relay/dist/bin/chat-relay.js');

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `chat-e2e-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Relay {
  proc: ChildProcess;
  port: number;
  /** What clients log in with: `chat://<fingerprint>@127.0.0.1:PORT` (pinned), or `127.0.0.1:PORT` when insecure. */
  address: string;
  /** `127.0.0.1:PORT`, without the fingerprint. */
  hostPort: string;
  /** The certificate fingerprint from the relay's address line; undefined when insecure. */
  fingerprint: string | undefined;
  insecure: boolean;
  dataDir: string;
  stdout: () => string;
  /** Sends `signal` (SIGTERM) and waits for the process to exit; returns its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface RelayStartOptions {
  /** Plaintext TCP (`--insecure`); TLS 1.3 by default. */
  insecure?: boolean;
  /** More `chat-relay` arguments, e.g. `--tls-cert` / `--tls-key`. */
  args?: readonly string[];
}

/**
 * Starts `chat-relay --port 0 --data dataDir` (TLS by default) and waits for `chat-relay listening on 127.0.0.1:PORT`;
 * the `chat-relay address chat://…` line printed before it gives the pinned address.
 */
export function startRelay(dataDir: string, options: RelayStartOptions = {}): Promise<Relay> {
  const args = [RELAY_BIN, '--host', '127.0.0.1', '--port', '0', '--data', dataDir, ...(options.insecure ? ['--insecure'] : []), ...(options.args ?? [])];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.stderr?.resume(); // JSON logs; drained so the pipe never fills
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${out}`)), 10_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^chat-relay listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      const fingerprint = /^chat-relay address chat:\/\/([A-Za-z0-9_-]{43})@/m.exec(out)?.[1];
      if (!options.insecure && fingerprint === undefined) {
        reject(new Error(`relay printed no chat:// address: ${out}`));
        return;
      }
      const hostPort = `127.0.0.1:${port}`;
      resolvePromise({
        proc,
        port,
        address: fingerprint === undefined ? hostPort : `chat://${fingerprint}@${hostPort}`,
        hostPort,
        fingerprint,
        insecure: options.insecure === true,
        dataDir,
        stdout: () => out,
        stop: async (signal = 'SIGTERM') => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      });
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited early (${code}): ${out}`));
    });
  });
}

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
}

/**
 * The passphrase every test user's keys are sealed with (PROTOCOL.md §13.1): `chat keygen` in newUser and every
 * other command get it from CHAT_PASSPHRASE, as a script would. A test that needs another one sets `env`.
 */
export const TEST_PASSPHRASE = 'correct horse battery staple';

function chatEnv(o: ChatOptions): NodeJS.ProcessEnv {
  // A clean environment: no CHAT_RELAY or XDG settings leak in from the developer's shell.
  const env: Record<string, string | undefined> = { PATH: process.env.PATH ?? '', HOME: o.home, CHAT_HOME: o.home, TZ: 'UTC', CHAT_PASSPHRASE: TEST_PASSPHRASE, ...o.env };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Runs `chat ...args` to completion. stdin is a pipe (closed at once when no input is given). */
export function chat(args: readonly string[], o: ChatOptions): Promise<Result> {
  const proc = spawn(process.execPath, [CHAT_BIN, ...args], { env: chatEnv(o), stdio: ['pipe', 'pipe', 'pipe'] });
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
  const proc = spawn(process.execPath, [CHAT_BIN, ...args], { env: chatEnv(o), stdio: ['pipe', 'pipe', 'pipe'] });
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
    waitFor: (re, ms = 10_000) =>
      new Promise<void>((resolveWait, reject) => {
        const deadline = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stdout: ${stdout}; stderr: ${stderr}`)), ms);
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
 * keygen + login as `name` on `relay`, in a fresh profile under `root`. Returns the profile directory. The one place
 * that decides how test users are made: keys sealed with TEST_PASSPHRASE (from CHAT_PASSPHRASE), logged in with the
 * relay's pinned `chat://` address (or `--insecure` for an insecure relay).
 */
export async function newUser(root: string, name: string, relay: Relay): Promise<string> {
  const home = join(root, name);
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
export async function aliceAndBob(prefix: string): Promise<{ t: ReturnType<typeof tempDir>; relay: Relay; alice: string; bob: string }> {
  const t = tempDir(prefix);
  const relay = await startRelay(join(t.dir, 'relay'));
  const alice = await newUser(t.dir, 'alice', relay);
  const bob = await newUser(t.dir, 'bob', relay);
  return { t, relay, alice, bob };
}
