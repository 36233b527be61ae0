#!/usr/bin/env node
// `chat send` one-shot wall time with and without `chat daemon` (issue 16), beside `node -e 0`, in the same run
// against the same relay; then the JSON-RPC `send` round trip and throughput from one connected client.
// Usage (after npm run build): node scripts/bench/daemon-send.mjs [rounds=30]
// CHAT_BENCH_BASELINE_BIN=<another build's dist/bin/chat.js> adds that build's `chat send` to the rotation.
// `node -e 0` and the send through the daemon run in rotation, one process at a time, so load from other work hits
// them alike; the send without a daemon runs after them in a rotation of its own; 3 warm-up rounds are dropped.
// "Without" is the same binary with CHAT_NO_DAEMON=1 (its own session, scrypt
// prederived as usual) while the daemon runs. Keys are passphrase-protected as `chat keygen` writes them now
// (scrypt N = 2^17, 128 MiB), the relay is the built chat-relay over TLS 1.3.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median, quantile, tempDir } from './common.mjs';
import { startOurRelay } from './ours.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CHAT_BIN = join(ROOT, 'packages/cli/dist/bin/chat.js');
const rounds = Number(process.argv[2] ?? 30);

// Nobody reads dsbob's mailbox here: lift the per-sender share (1,000 envelopes by default) and the share of one
// sending address (500: every client here is 127.0.0.1) for the ~2,300 sent.
const relay = await startOurRelay({
  CHAT_RELAY_MAILBOX_SENDER_MAX_MESSAGES: '1000000',
  CHAT_RELAY_MAILBOX_ADDRESS_MAX_MESSAGES: '1000000',
  CHAT_RELAY_MAILBOX_ADDRESS_MAX_BYTES: String(1024 ** 3),
});
const tmp = tempDir('daemon-send');
const env = (home, extra = {}) => ({
  PATH: process.env.PATH,
  HOME: home,
  CHAT_HOME: home,
  CHAT_PASSPHRASE: 'bench passphrase',
  ...extra,
});
const chat = (home, ...args) => execFileSync(process.execPath, [CHAT_BIN, ...args], { env: env(home), stdio: 'pipe' });
const alice = join(tmp.dir, 'alice');
const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  return { medianMs: median(s), p10Ms: quantile(s, 0.1), p90Ms: quantile(s, 0.9), n: s.length };
};
let daemon;
try {
  for (const [home, name] of [
    [alice, 'dsalice'],
    [join(tmp.dir, 'bob'), 'dsbob'],
  ]) {
    chat(home, 'keygen');
    chat(home, 'login', name, '--relay', relay.address);
  }
  daemon = spawn(process.execPath, [CHAT_BIN, 'daemon', '--json'], {
    env: env(alice),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((res, rej) => {
    let out = '';
    daemon.stdout.on('data', (d) => {
      out += d;
      if (/"state":"online"/.test(out)) res();
    });
    daemon.once('exit', (code) => rej(new Error(`chat daemon exited ${code}`)));
  });
  const send = [CHAT_BIN, 'send', 'dsbob', 'hello from the benchmark'];
  const cases = {
    'node -e 0': [['-e', '0'], env(alice)],
    'chat send, through chat daemon': [send, env(alice)],
  };
  // CHAT_BENCH_BASELINE_BIN: another build's chat.js (e.g. before a start-up change), run in the same rotation.
  const baseline = process.env.CHAT_BENCH_BASELINE_BIN;
  if (baseline) cases['chat send, through chat daemon, baseline build'] = [[baseline, ...send.slice(1)], env(alice)];
  // The case without a daemon runs in a rotation of its own, after: its 128 MiB scrypt slowed the processes that
  // followed it (measured: a plain send through the daemon, 151 ms median beside node alone, 175 ms with a scrypt
  // process in the same rotation), which is not what the daemon case is about.
  const alone = {
    'chat send, no daemon (CHAT_NO_DAEMON=1: scrypt + TLS + auth)': [send, env(alice, { CHAT_NO_DAEMON: '1' })],
  };
  const times = {};
  for (const group of [cases, alone]) {
    for (const name of Object.keys(group)) times[name] = [];
    for (let round = 0; round < rounds + 3; round++) {
      for (const [name, [args, e]] of Object.entries(group)) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, args, { env: e, stdio: 'ignore' });
        const t = performance.now() - t0;
        if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
        if (round >= 3) times[name].push(t);
      }
    }
  }
  const results = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]));
  results['JSON-RPC send round trip, connected client'] = stats(await rpcRoundTrips(join(alice, 'daemon.sock'), 200));
  results['JSON-RPC send throughput, one connection, 64 in flight'] = await rpcThroughput(
    join(alice, 'daemon.sock'),
    2000,
    64,
  );
  process.stdout.write(
    `${JSON.stringify({ machine: machine(), command: `node scripts/bench/daemon-send.mjs ${rounds}`, rounds, results }, null, 2)}\n`,
  );
} finally {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
  await relay.stop();
  tmp.cleanup();
}

/** A newline-delimited JSON-RPC connection: `call` resolves with the response line. */
async function connect(path) {
  const s = createConnection(path);
  await new Promise((r) => s.once('connect', r));
  const waiting = new Map();
  let buf = '';
  let id = 0;
  s.setEncoding('utf8');
  s.on('data', (d) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      waiting.get(msg.id)?.(msg.error);
      waiting.delete(msg.id);
    }
  });
  // An error answer rejects the call (and so ends the run through `finally`, which stops the daemon and relay).
  const call = (method, params) =>
    new Promise((resolveCall, rejectCall) => {
      const n = ++id;
      waiting.set(n, (error) => (error ? rejectCall(new Error(JSON.stringify(error))) : resolveCall()));
      s.write(`${JSON.stringify({ jsonrpc: '2.0', id: n, method, params })}\n`);
    });
  return { call, close: () => s.end() };
}

async function rpcRoundTrips(path, n) {
  const c = await connect(path);
  const ms = [];
  for (let i = 0; i < n + 10; i++) {
    const t0 = performance.now();
    await c.call('send', { recipient: 'dsbob', message: `round trip ${i}` });
    if (i >= 10) ms.push(performance.now() - t0);
  }
  c.close();
  return ms;
}

async function rpcThroughput(path, n, inFlight) {
  const c = await connect(path);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await c.call('send', { recipient: 'dsbob', message: `throughput ${next++}` });
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  return { messages: n, inFlight, seconds: Number(seconds.toFixed(2)), perSecond: Math.round(n / seconds) };
}
