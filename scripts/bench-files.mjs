#!/usr/bin/env node
// End-to-end file transfer measurement (PROTOCOL.md §16) with the BUILT binaries: a relay, `chat send-file` from
// alice, `chat recv` + `chat files accept` at bob. Prints wall time, MB/s (10^6 bytes per second of plaintext) and the
// peak RSS (VmHWM from /proc, sampled every 20 ms) of the sender, the receiver and the relay.
// Usage: npm run build && node scripts/bench-files.mjs [MiB, default 1024]
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const CHAT = join(ROOT, 'packages/cli/dist/bin/chat.js');
const RELAY = join(ROOT, 'packages/relay/dist/bin/chat-relay.js');
const mib = Number(process.argv[2] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'bench-files-'));
const PASS = 'bench passphrase';

function hwm(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function run(args, home, { quiet = true } = {}) {
  const env = { PATH: process.env.PATH, HOME: home, CHAT_HOME: home, CHAT_PASSPHRASE: PASS };
  const proc = spawn(process.execPath, [CHAT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, hwm(proc.pid))), 20);
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const t0 = process.hrtime.bigint();
  return new Promise((res, rej) =>
    proc.on('close', (code) => {
      clearInterval(timer);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) rej(new Error(`chat ${args.join(' ')} exited ${code}: ${err}`));
      else res({ out: quiet ? '' : out, seconds: s, peak });
    }),
  );
}

async function sha256(path) {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c);
  return h.digest('hex');
}

const relay = spawn(
  process.execPath,
  [RELAY, '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'relay'), '--quiet'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let relayPeak = 0;
const relayTimer = setInterval(() => (relayPeak = Math.max(relayPeak, hwm(relay.pid))), 20);
const address = await new Promise((res) => {
  let out = '';
  relay.stdout.on('data', (d) => {
    out += d;
    const a = /chat-relay address (chat:\/\/\S+)/.exec(out);
    if (a && /listening on/.test(out)) res(a[1]);
  });
});
try {
  const alice = join(dir, 'alice');
  const bob = join(dir, 'bob');
  for (const [home, name] of [
    [alice, 'alice'],
    [bob, 'bob'],
  ]) {
    await run(['keygen'], home);
    await run(['login', name, '--relay', address], home);
  }
  const src = join(dir, 'source.bin');
  const fd = openSync(src, 'w');
  for (let i = 0; i < mib; i += 64) writeSync(fd, randomBytes(Math.min(64, mib - i) * 1024 * 1024));
  closeSync(fd);
  const bytes = mib * 1024 * 1024;
  const up = await run(['send-file', 'bob', src, '--json'], alice, { quiet: false });
  const id = JSON.parse(up.out.trim().split('\n').at(-1)).id;
  await run(['recv'], bob);
  const dl = join(dir, 'dl');
  const down = await run(['files', 'accept', id, '--dir', dl], bob);
  const same = (await sha256(src)) === (await sha256(join(dl, 'source.bin')));
  const mbps = (s) => (bytes / 1e6 / s).toFixed(0);
  const m = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  console.log(`file: ${mib} MiB random, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
  console.log(
    `send-file (seal + upload + offer): ${up.seconds.toFixed(1)} s, ${mbps(up.seconds)} MB/s, sender peak RSS ${m(up.peak)}`,
  );
  console.log(
    `files accept (download + open + hash + rename): ${down.seconds.toFixed(1)} s, ${mbps(down.seconds)} MB/s, receiver peak RSS ${m(down.peak)}`,
  );
  console.log(
    `end to end: ${(up.seconds + down.seconds).toFixed(1)} s, ${mbps(up.seconds + down.seconds)} MB/s; relay peak RSS ${m(Math.max(relayPeak, hwm(relay.pid)))}; byte-identical: ${same}`,
  );
} finally {
  clearInterval(relayTimer);
  relay.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
