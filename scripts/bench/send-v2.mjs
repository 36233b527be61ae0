#!/usr/bin/env node
// `chat send` with protocol v2 beside v1 (issue 13, "Sending stays fast"): the built binary, one process per send,
// against the built relay. Usage (after npm run build):
//   node scripts/bench/send-v2.mjs [rounds=15] [other-chat.js...]
// Cases, each once per round in rotation (interleaved, so load from other work hits all alike), after one warm-up
// round:
//   - `node -e 0`: Node's own start-up, the floor under every case;
//   - v1 / v2, an existing session: alice sends to carol (registered with the raw protocol client, so she has
//     published no prekeys: v1, `--allow-v1`) / to bob (a `chat login` profile: v2; bob answered once, so the session
//     is past its initiation); v2 also with `--allow-v1`, so both go through the same argument parser;
//   - v1 / v2, a first contact: a copy of alice's profile from before she knew anyone (made between runs, not timed),
//     so the send looks the contact up, pins it and, for bob, fetches his prekeys and runs PQXDH (ML-KEM-768);
//   - v2 without `--allow-v1` (the parser-free fast path a script's `chat send bob hi` takes), existing and first;
//   - the same two with keys under a passphrase (scrypt as `chat keygen` writes it), where ML-KEM warms up while
//     scrypt runs.
// Keys are stored without a passphrase except in the last cases, so scrypt does not drown the difference.
// Wall time is measured around each process (performance.now); CPU time (user + system) comes from /usr/bin/time
// (10 ms resolution). Extra arguments are other builds of the binary (e.g. a copy of packages/cli/dist from an
// older commit, placed at the same depth so that it finds node_modules), measured in the same rotation.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity } from '@chat/crypto';
import { fmt, machine, median, quantile, tempDir } from './common.mjs';
import { Conn, startOurRelay } from './ours.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const [roundsArg, ...others] = process.argv.slice(2);
const ROUNDS = Number(roundsArg ?? 15);
const BINS = [join(ROOT, 'packages/cli/dist/bin/chat.js'), ...others.map((b) => resolve(b))];
const PASSPHRASE = 'bench passphrase';

const relay = await startOurRelay();
const tmp = tempDir('send-v2');
const home = (name) => join(tmp.dir, name);
const env = (h, passphrase) => ({
  PATH: process.env.PATH,
  HOME: h,
  CHAT_HOME: h,
  CHAT_NO_DAEMON: '1',
  ...(passphrase ? { CHAT_PASSPHRASE: PASSPHRASE } : {}),
});
const chat = (h, args, passphrase = false) =>
  execFileSync(process.execPath, [BINS[0], ...args], { env: env(h, passphrase), stdio: ['ignore', 'pipe', 'pipe'] });

/** Wall (ms, from here) and CPU (ms, from /usr/bin/time) of one process. */
function timed(argv, e) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S', process.execPath, ...argv], { env: e, encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [user, sys] = /TIME (\S+) (\S+)\s*$/.exec(r.stderr).slice(1).map(Number);
  return { wall, cpu: (user + sys) * 1000 };
}

try {
  // bob (v2) and alice, with a passphrase-protected twin of alice; carol is v1 (no prekeys published).
  chat(home('bob'), ['keygen', '--no-passphrase']);
  chat(home('bob'), ['login', 'sbob', '--relay', relay.address]);
  for (const [name, passphrase] of [
    ['alice', false],
    ['alicep', true],
  ]) {
    chat(home(`${name}-fresh`), passphrase ? ['keygen'] : ['keygen', '--no-passphrase'], passphrase);
    chat(home(`${name}-fresh`), ['login', `s${name}`, '--relay', relay.address], passphrase);
    cpSync(home(`${name}-fresh`), home(name), { recursive: true });
  }
  (await Conn.login(relay.port, 'scarol', generateIdentity(), 'send')).close();
  // Existing sessions: a first message each way (bob answers, so alice's session is past its initiation).
  for (const [name, passphrase] of [
    ['alice', false],
    ['alicep', true],
  ]) {
    chat(home(name), ['send', 'sbob', 'hello'], passphrase);
    chat(home(name), ['send', '--allow-v1', 'scarol', 'hello'], passphrase);
  }
  chat(home('bob'), ['recv']);
  chat(home('bob'), ['send', 'salice', 'hi']);
  chat(home('bob'), ['send', 'salicep', 'hi']);
  chat(home('alice'), ['recv']);
  chat(home('alicep'), ['recv'], true);

  const msg = 'hello from the benchmark';
  /** A first contact: a fresh copy of the profile from before alice knew anyone. */
  const fresh = (name) => () => {
    rmSync(home(`${name}-first`), { recursive: true, force: true });
    cpSync(home(`${name}-fresh`), home(`${name}-first`), { recursive: true });
    return home(`${name}-first`);
  };
  const existing = (name) => () => home(name);
  const cases = [{ name: 'node -e 0', bin: -1, argv: ['-e', '0'], home: existing('alice') }];
  BINS.forEach((_, bin) => {
    const tag = BINS.length > 1 ? ` [${bin === 0 ? 'this build' : `build ${bin}`}]` : '';
    const add = (name, h, args, passphrase = false) => cases.push({ name: name + tag, bin, args, home: h, passphrase });
    add('v1, existing session (--allow-v1)', existing('alice'), ['send', '--allow-v1', 'scarol', msg]);
    add('v2, existing session (--allow-v1)', existing('alice'), ['send', '--allow-v1', 'sbob', msg]);
    add('v1, first contact (--allow-v1)', fresh('alice'), ['send', '--allow-v1', 'scarol', msg]);
    add('v2, first contact (--allow-v1)', fresh('alice'), ['send', '--allow-v1', 'sbob', msg]);
    add('v2, existing session (fast path)', existing('alice'), ['send', 'sbob', msg]);
    add('v2, first contact (fast path)', fresh('alice'), ['send', 'sbob', msg]);
    if (process.env.CHAT_BENCH_PASSPHRASE !== '0') {
      add('v2, existing session, passphrase', existing('alicep'), ['send', 'sbob', msg], true);
      add('v2, first contact, passphrase', fresh('alicep'), ['send', 'sbob', msg], true);
    }
  });
  const results = new Map(cases.map((c) => [c.name, { wall: [], cpu: [] }]));
  const loads = [];
  for (let round = -1; round < ROUNDS; round++) {
    loads.push(os.loadavg()[0]);
    for (const c of cases) {
      const h = c.home();
      const argv = c.bin < 0 ? c.argv : [BINS[c.bin], ...c.args];
      const t = timed(argv, env(h, c.passphrase));
      if (round < 0) continue; // the warm-up round
      results.get(c.name).wall.push(t.wall);
      results.get(c.name).cpu.push(t.cpu);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
  }
  const node = median(results.get('node -e 0').wall);
  const out = [];
  out.push(`# chat send, v2 beside v1 (${ROUNDS} rounds after 1 warm-up, one process per send)`);
  const m = machine();
  out.push(`# ${m.cpu} x ${m.cores}, ${m.memGiB} GiB, ${m.os}, Node ${m.node}; ${new Date().toISOString()}`);
  out.push(`# 1-min load average at the rounds' starts: ${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)}`);
  out.push('| case | wall median (ms) | p10–p90 | beyond `node -e 0` | CPU median (ms) |');
  out.push('| --- | ---: | --- | ---: | ---: |');
  for (const [name, r] of results) {
    const s = [...r.wall].sort((a, b) => a - b);
    const w = median(r.wall);
    out.push(
      `| ${name} | ${fmt(w, 1)} | ${fmt(quantile(s, 0.1), 1)}–${fmt(quantile(s, 0.9), 1)} | ${name === 'node -e 0' ? '' : `+${fmt(w - node, 1)}`} | ${fmt(median(r.cpu))} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await relay.stop();
  tmp.cleanup();
}
