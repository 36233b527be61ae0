#!/usr/bin/env node
// A long history (issue 15): a profile with 50,000 messages from one contact (10–300 characters, about one in eight
// multi-line, seeded), and the interactive session, `chat history` and `chat search` over it; then draining 50,000
// waiting messages through the client engine. Usage (after npm run build): node scripts/bench/long-history.mjs [n=50000]
// The session runs as the built `chat open` in tmux (100×30) and is read with capture-pane, polled every few ms:
// "on screen" is the first capture showing the text, so each figure carries a few ms of polling. Keys are timed in a
// session of their own on a bare pty (script(1)): tmux's send-keys and capture-pane each spawn a client, which cost
// more than the key itself. Keys are plain (no passphrase, so no scrypt in any figure); the relay is the built
// chat-relay over TLS 1.3.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity } from '@chat/crypto';
import { login } from '../../packages/cli/dist/engine/account.js';
import { Profile } from '../../packages/cli/dist/engine/profile.js';
import { Store } from '../../packages/cli/dist/engine/store/store.js';
import { drain } from './client.mjs';
import { body, seeded } from './history-bodies.mjs';
import { drainV2 } from './drain-v2.mjs';
import { cpuSeconds, fmt, machine, median, tempDir } from './common.mjs';
import { startOurRelay } from './ours.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CHAT_BIN = join(ROOT, 'packages/cli/dist/bin/chat.js');
const N = Number(process.argv[2] ?? 50_000);
// Sessions per case (CHAT_BENCH_RUNS): the old pane takes minutes per run on a loaded machine.
const RUNS = Number(process.env.CHAT_BENCH_RUNS ?? 3);
const [COLS, ROWS] = [100, 30];

/** `n` messages from alice (every fifth one ours), one second apart, ending now; the oldest says "needle". */
async function fillHistory(profile, n) {
  // chat.db is encrypted under the profile's storage key (PROTOCOL.md §13.3).
  const store = Store.open(profile.dbPath, (await profile.unlockKeys(undefined)).storageKey);
  const rnd = seeded(15);
  const start = Date.now() - n * 1000;
  store.transaction(() => {
    for (let i = 0; i < n; i++) {
      const ts = start + i * 1000;
      const out = i % 5 === 4;
      store.messages.add({
        id: `${i.toString(16).padStart(8, '0')}${'0'.repeat(24)}`,
        peer: 'alice',
        direction: out ? 'out' : 'in',
        body: i === 0 ? 'the needle in the oldest message' : i === n - 1 ? 'the newest message LAST' : body(rnd, i),
        ts,
        relayTs: ts,
        receivedAt: ts,
        state: out ? 'read' : null,
      });
    }
  });
  store.close();
}

async function profileAt(dir, name, address) {
  const p = new Profile(dir);
  p.saveIdentity(generateIdentity());
  await login(p, name, address);
  return p;
}

// A fresh tmux server per session: a new one started right after kill-server can find the old one exiting.
let sessions = 0;
let sock = `long-history-${process.pid}-0`;
const tmux = (...args) => execFileSync('tmux', ['-L', sock, '-f', '/dev/null', ...args], { encoding: 'utf8' });
const capture = () => tmux('capture-pane', '-p', '-t', 'bench:');
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls the screen until `test` holds; the ms since `t0`. */
async function until(test, t0, ms = 180_000) {
  for (;;) {
    const s = capture();
    if (test(s)) return performance.now() - t0;
    if (performance.now() - t0 > ms) throw new Error(`timed out; screen:\n${s}`);
    await pause(2);
  }
}

/** Starts `chat open alice` for `home` in a fresh tmux server; returns its pid and the ms until `ready` shows. */
async function openSession(home, ready) {
  const env = { CHAT_HOME: home, HOME: home, TZ: 'UTC', TERM: 'xterm-256color', PATH: process.env.PATH };
  const cmd = ['exec', 'env', '-u', 'CI', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const line = [...cmd, process.execPath, CHAT_BIN, 'open', 'alice'].map((w) => `'${w}'`).join(' ');
  sock = `long-history-${process.pid}-${++sessions}`;
  const t0 = performance.now();
  tmux('new-session', '-d', '-s', 'bench', '-x', String(COLS), '-y', String(ROWS), line);
  const pid = Number(tmux('list-panes', '-t', 'bench:', '-F', '#{pane_pid}').trim());
  const ms = await until(ready, t0);
  return { pid, ms };
}

const closeSession = () => {
  try {
    execFileSync('tmux', ['-L', sock, '-f', '/dev/null', 'kill-server'], { stdio: 'ignore' });
  } catch {
    /* gone */
  }
};

const status = (pid, key) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

const KEY_BYTES = { PageUp: '\x1b[5~', PageDown: '\x1b[6~', Home: '\x1b[1~', End: '\x1b[4~' };

/**
 * `chat open alice` for `home` on a pty of its own (script(1), 100×30), its output read straight from the pty.
 * `press(key, text)` writes the key's bytes and resolves with the ms until the session's next output (`first`) and
 * until output containing `text` (`shown`; the same when no text is given), then lets the session settle.
 */
async function ptySession(home) {
  const env = `env -u CI CHAT_HOME='${home}' HOME='${home}' TZ=UTC TERM=xterm-256color`;
  const line = `stty cols ${COLS} rows ${ROWS}; exec ${env} '${process.execPath}' '${CHAT_BIN}' open alice`;
  const child = spawn('script', ['-qfec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  let check;
  child.stdout.on('data', (b) => {
    out += b.toString('latin1');
    check?.();
  });
  const when = (test) =>
    new Promise((resolve) => {
      check = () => {
        if (!test()) return;
        check = undefined;
        resolve(performance.now());
      };
      check();
    });
  await when(() => out.includes('newest message LAST'));
  await pause(2_000);
  return {
    async press(key, text) {
      const mark = out.length;
      const t0 = performance.now();
      child.stdin.write(KEY_BYTES[key]);
      const first = (await when(() => out.length > mark)) - t0;
      const shown = text ? (await when(() => out.slice(mark).includes(text))) - t0 : first;
      await pause(300);
      return { first, shown };
    },
    close: () => child.kill('SIGKILL'),
  };
}

const wallMs = (args, env) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
};

const relay = await startOurRelay();
const tmp = tempDir('long-history');
const results = {};
try {
  const address = { host: '127.0.0.1', port: relay.port, fingerprint: relay.fingerprint };
  await profileAt(join(tmp.dir, 'alice'), 'alice', address);
  const empty = await profileAt(join(tmp.dir, 'empty'), 'bob2', address);
  const full = await profileAt(join(tmp.dir, 'full'), 'bob', address);
  const t0 = performance.now();
  await fillHistory(full, N);
  console.log(`history of ${N} messages written in ${fmt((performance.now() - t0) / 1000, 1)} s`);

  const paint = { empty: [], full: [] };
  const keys = { PageUp: [], PageDown: [], Home: [], End: [] };
  const idle = [];
  const idleLater = [];
  const idleEmpty = [];
  const rss = [];
  for (let run = 0; run < RUNS; run++) {
    const e = await openSession(empty.home, (s) => /^alice>/m.test(s));
    paint.empty.push(e.ms);
    // The same 5 s for the empty history: what connecting and presence cost whatever the history holds.
    const e0 = cpuSeconds(e.pid);
    await pause(5_000);
    idleEmpty.push((cpuSeconds(e.pid) - e0) * 1000);
    closeSession();
    const f = await openSession(full.home, (s) => /newest message LAST/.test(s));
    paint.full.push(f.ms);
    // CPU for the 5 s after the newest messages showed, with nothing typed and nothing arriving.
    const c0 = cpuSeconds(f.pid);
    await pause(5_000);
    const c1 = cpuSeconds(f.pid);
    idle.push((c1 - c0) * 1000);
    // And the 5 s after those: what the session spends when its start-up (connection, presence) is over.
    await pause(5_000);
    idleLater.push((cpuSeconds(f.pid) - c1) * 1000);
    rss.push({ rss: status(f.pid, 'VmRSS'), peak: status(f.pid, 'VmHWM') });
    closeSession();
  }
  // Keys on a bare pty: Home is timed to the oldest message on screen, End to the newest; PgUp/PgDn to the redraw.
  for (let run = 0; run < RUNS; run++) {
    const pty = await ptySession(full.home);
    try {
      for (let i = 0; i < 3; i++) keys.PageUp.push(await pty.press('PageUp'));
      for (let i = 0; i < 3; i++) keys.PageDown.push(await pty.press('PageDown'));
      keys.Home.push(await pty.press('Home', 'needle in the oldest'));
      keys.End.push(await pty.press('End', 'newest message LAST'));
    } finally {
      pty.close();
    }
  }
  results.session = {
    emptyHistoryMs: median(paint.empty),
    newestOnScreenMs: median(paint.full),
    beyondEmptyMs: median(paint.full) - median(paint.empty),
    keysMedianMs: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, median(v.map((x) => x.shown))])),
    keysMaxMs: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, Math.max(...v.map((x) => x.shown))])),
    keysFirstOutputMedianMs: Object.fromEntries(
      Object.entries(keys).map(([k, v]) => [k, median(v.map((x) => x.first))]),
    ),
    idleCpuMsIn5s: median(idle),
    idleCpuMsIn5sAfter: median(idleLater),
    idleCpuMsIn5sEmpty: median(idleEmpty),
    rssMiB: median(rss.map((r) => r.rss)),
    peakRssMiB: Math.max(...rss.map((r) => r.peak)),
    runs: { paint, keys, idle, idleLater, idleEmpty, rss },
  };

  const env = { PATH: process.env.PATH, HOME: full.home, CHAT_HOME: full.home };
  const one = { 'node -e 0': [], 'chat history alice --limit 50': [], 'chat search needle': [] };
  for (let run = 0; run < 5 + 2; run++) {
    const times = {
      'node -e 0': wallMs(['-e', '0'], env),
      'chat history alice --limit 50': wallMs([CHAT_BIN, 'history', 'alice', '--limit', '50'], env),
      'chat search needle': wallMs([CHAT_BIN, 'search', 'needle'], env),
    };
    if (run >= 2) for (const [k, v] of Object.entries(times)) one[k].push(v);
  }
  results.oneShot = Object.fromEntries(Object.entries(one).map(([k, v]) => [k, median(v)]));
} finally {
  closeSession();
  await relay.stop();
  tmp.cleanup();
}
const s = results.session;
const node = results.oneShot['node -e 0'];
console.log(JSON.stringify(machine()));
console.log(
  `session (median of ${RUNS}): empty history ${fmt(s.emptyHistoryMs)} ms; ${N} messages ${fmt(s.newestOnScreenMs)} ms (+${fmt(s.beyondEmptyMs)} ms)`,
);
console.log(
  `keys median / max ms: ${Object.keys(s.keysMedianMs)
    .map((k) => `${k} ${fmt(s.keysMedianMs[k])}/${fmt(s.keysMaxMs[k])}`)
    .join(', ')} (Home to the oldest message shown, End to the newest; first output after the key: ${Object.entries(
    s.keysFirstOutputMedianMs,
  )
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ')})`,
);
console.log(
  `CPU in the 5 s after first paint: ${fmt(s.idleCpuMsIn5s)} ms, in the 5 s after those ${fmt(s.idleCpuMsIn5sAfter)} ms (empty history: ${fmt(s.idleCpuMsIn5sEmpty)} ms in its first 5 s); RSS ${fmt(s.rssMiB)} MiB (peak ${fmt(s.peakRssMiB)} MiB)`,
);
for (const [k, v] of Object.entries(results.oneShot))
  console.log(`${k}: ${fmt(v)} ms${k === 'node -e 0' ? '' : ` (+${fmt(v - node)} ms)`}`);

// The drain of N waiting envelopes through the client engine, with v2 envelopes in one answered session (what two
// v2 clients exchange; drain-v2.mjs), or v1 envelopes with CHAT_BENCH_DRAIN_VERSION=1 (client.mjs). Both lift the
// relay's per-sender mailbox and rate limits (§11) for the one sender and recipient. Figures above are printed first,
// so a failed drain loses nothing. CHAT_BENCH_DRAIN=0 skips it (the session's figures alone).
const d = await (process.env.CHAT_BENCH_DRAIN === '0'
  ? Promise.resolve(undefined)
  : process.env.CHAT_BENCH_DRAIN_VERSION === '1'
    ? drain(N)
    : drainV2(N));
if (d) {
  results.drain = { ...d, msgPerSecond: d.received / d.seconds };
  console.log(
    `drain of ${N} (v${process.env.CHAT_BENCH_DRAIN_VERSION === '1' ? 1 : 2}): ${fmt(d.seconds, 2)} s, ${fmt(results.drain.msgPerSecond)} msg/s, ${d.received} received, ${d.leftOnRelay} left; CPU per message: engine ${fmt(d.clientCpuUsPerMessage, 1)} µs, relay ${fmt(d.relayCpuUsPerMessage, 1)} µs`,
  );
}
console.log(JSON.stringify(results));
