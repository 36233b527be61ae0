/** The built `chat-relay` with any arguments, for operator tests: its output, its exit, its ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { RELAY_BIN } from '../e2e/harness.js';

export interface RunningBinary {
  proc: ChildProcess;
  port: number;
  metricsPort: number | undefined;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

/** Starts `chat-relay --port 0 ...args` and waits for its `listening` line (and `metrics` line when asked for). */
export function startBinary(args: string[], env: Record<string, string> = {}): Promise<RunningBinary> {
  const proc = spawn(process.execPath, [RELAY_BIN, '--port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const wantMetrics = args.includes('--metrics-port');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${out} ${err}`)), 10_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      const mm = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(out);
      if (!m || (wantMetrics && !mm)) return;
      clearTimeout(timer);
      resolve({ proc, port: Number(m[1]), metricsPort: mm ? Number(mm[1]) : undefined, stdout: () => out, stderr: () => err, exit });
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}): ${out} ${err}`));
    });
  });
}

/** Runs `chat-relay ...args` to completion. */
export function runBinary(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [RELAY_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
