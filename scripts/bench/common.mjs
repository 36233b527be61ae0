// Shared helpers of the benchmark suite: statistics, machine description, child processes, temp dirs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export const PAYLOAD_BYTES = 256;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
}

/** Quantile q (0..1) of a sorted array, nearest rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(os.tmpdir(), `bench-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Spawns a server and resolves once `ready` matches its stdout or stderr; `stop()` kills it and waits. */
export function spawnServer(cmd, args, ready, env = {}) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const exited = new Promise((r) => proc.once('exit', () => r()));
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out.slice(-500)}`)), 15_000);
    const onData = (d) => {
      out += d.toString();
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout.removeAllListeners('data');
      proc.stderr.removeAllListeners('data');
      proc.stdout.resume();
      proc.stderr.resume();
      resolve({
        proc,
        match: m,
        stop: async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          await exited;
        },
      });
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('error', reject);
  });
}

export function freePort() {
  return import('node:net').then(
    ({ createServer }) =>
      new Promise((resolve) => {
        const s = createServer();
        s.listen(0, '127.0.0.1', () => {
          const { port } = s.address();
          s.close(() => resolve(port));
        });
      }),
  );
}

/** A 256-byte payload that carries the pair index and sequence number (bytes 4..12); byte 0 is the envelope version. */
export function payload(pair, seq) {
  const b = Buffer.allocUnsafe(PAYLOAD_BYTES);
  b.fill(0x5a);
  b[0] = 0x01;
  b.writeUInt32BE(pair, 4);
  b.writeUInt32BE(seq, 8);
  return b;
}
export const payloadPair = (b) => b.readUInt32BE(4);
export const payloadSeq = (b) => b.readUInt32BE(8);

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in clock ticks of 1/100 s
  } catch {
    return undefined;
  }
}

export const fmt = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a';
