/**
 * The built `chat-relay` binary as a child process that a test can SIGKILL and restart on the same data directory.
 * Settings go in through CHAT_RELAY_* environment variables (the binary's own configuration path).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { RELAY_BIN } from '../e2e/harness.js';

export class RelayProcess {
  private proc: ChildProcess | undefined;
  port = 0;
  starts = 0;

  constructor(
    readonly dataDir: string,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Starts the relay and resolves with its port once it prints `listening`. */
  start(): Promise<number> {
    const proc = spawn(process.execPath, [RELAY_BIN, '--port', '0', '--data', this.dataDir, '--quiet'], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.starts++;
    let out = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          this.port = Number(m[1]);
          resolve(this.port);
        }
      });
      proc.once('exit', (code, signal) => reject(new Error(`relay exited (${code ?? signal}) before listening: ${err}`)));
    });
  }

  /** SIGKILL: no shutdown handler runs, nothing is flushed beyond what SQLite already committed. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM and wait; returns the exit code. */
  async stop(): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill('SIGTERM');
    return exited;
  }
}

/** A small seeded generator (mulberry32), so a run's kill moments can be reproduced from its printed seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
