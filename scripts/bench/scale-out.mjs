#!/usr/bin/env node
// Scale-out benchmark (issue 17, docs/BENCHMARKS.md "Many relays on one PostgreSQL"): durable msg/s and delivery
// latency at a fixed offered load for one relay on SQLite and 1, 2 and 3 relays on one PostgreSQL, same run.
// Usage: npm run build && node scripts/bench/scale-out.mjs [--pairs 8] [--per-sender 250] [--rate 1000]
//          [--low-rate 100] [--seconds 5]
//
// Every relay is the built `chat-relay` in its own process with the abuse limits lifted (ours.mjs), PostgreSQL is a
// local server with its durable defaults (scripts/cluster/postgres.mjs: fsync and synchronous_commit on), a fresh
// database per setup. With 2 and 3 relays, pair p's sender is on relay p mod N and its receiver on relay p+1 mod N,
// so every message crosses relays: stored through one, woken and delivered through another (LISTEN/NOTIFY). A
// second 2-relay run keeps each pair on one relay, to tell the cost of crossing from the cost of two processes.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { generateIdentity } from '@chat/crypto';
import { startPostgres } from '../cluster/postgres.mjs';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, fmt, freePort, machine, payloadPair, payloadSeq, spawnServer, tempDir } from './common.mjs';
import { latency, throughput } from './driver.mjs';
import { Conn, LIMIT_ENV, RELAY_BIN, startOurRelay } from './ours.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const pg = createRequire(join(ROOT, 'packages/relay/package.json'))('pg');
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '8' },
    'per-sender': { type: 'string', default: '250' },
    rate: { type: 'string', default: '1000' },
    'low-rate': { type: 'string', default: '100' },
    seconds: { type: 'string', default: '5' },
  },
});
const PAIRS = Number(values.pairs);
const PER_SENDER = Number(values['per-sender']);
const RATE = Number(values.rate);
const LOW_RATE = Number(values['low-rate']);
const SECONDS = Number(values.seconds);
const log = (s) => process.stdout.write(`${s}\n`);

async function pgRelay(url) {
  const tmp = tempDir('scale-relay');
  const server = await spawnServer(
    process.execPath,
    [RELAY_BIN, '--host', '127.0.0.1', '--port', '0', '--data', join(tmp.dir, 'data'), '--store', url],
    /chat-relay listening on 127\.0\.0\.1:(\d+)\n/,
    LIMIT_ENV,
  );
  return {
    port: Number(server.match[1]),
    pid: server.proc.pid,
    stop: async () => {
      await server.stop();
      tmp.cleanup();
    },
  };
}

/**
 * The driver's system (driver.mjs) over `relays`: pair p's sender on relay p mod N, its receiver on relay p+1 mod N
 * (`cross`), or on the sender's relay (not `cross`: the same processes, no message crossing relays).
 */
async function system(relays, cross = true) {
  const n = relays.length;
  const home = (p) => (cross ? (p + 1) % n : p % n);
  const tag = Math.random().toString(36).slice(2, 7);
  let onReceive = () => {};
  const senders = [];
  const receivers = [];
  for (let p = 0; p < PAIRS; p++) {
    let acks = [];
    const r = await Conn.login(relays[home(p)].port, `r${tag}${p}`, generateIdentity(), 'recv', {
      onMsg: (f) => {
        onReceive(payloadPair(f.env), payloadSeq(f.env));
        acks.push(f.id);
        if (acks.length === 1)
          setImmediate(() => {
            for (let k = 0; k < acks.length; k += 256) r.write({ t: 'ack', ids: acks.slice(k, k + 256) });
            acks = [];
          });
      },
    });
    receivers.push(r);
    senders.push(await Conn.login(relays[p % n].port, `s${tag}${p}`, generateIdentity(), 'send'));
  }
  return {
    set onReceive(fn) {
      onReceive = fn;
    },
    send(pair, seq, env) {
      const id = Buffer.alloc(16);
      id.writeUInt32BE(pair, 0);
      id.writeUInt32BE(seq, 4);
      id.writeUInt32BE(Math.random() * 2 ** 32, 8);
      return senders[pair].send(`r${tag}${pair}`, id, env);
    },
    close() {
      for (const c of [...senders, ...receivers]) c.close();
    },
  };
}

/** `pid` and its children (PostgreSQL's backends are the postmaster's children). */
function withChildren(pid) {
  const out = [pid];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU seconds used so far by the relays and by PostgreSQL (postmaster and its current backends). */
function cpu(relays, pgPid) {
  const sum = (pids) => pids.reduce((a, p) => a + (cpuSeconds(p) ?? 0), 0);
  return { relays: sum(relays.map((r) => r.pid)), pg: pgPid === undefined ? 0 : sum(withChildren(pgPid)) };
}

async function measure(name, relays, pgPid, cross = true) {
  const load = os.loadavg()[0];
  const sys = await system(relays, cross);
  try {
    const c0 = cpu(relays, pgPid);
    const tput = await throughput(sys, PAIRS, PER_SENDER, 16);
    const c1 = cpu(relays, pgPid);
    const n = PAIRS * PER_SENDER;
    // CPU per message of the throughput run: relays (all of them together) and PostgreSQL, in microseconds.
    const cpuUs = { relays: ((c1.relays - c0.relays) * 1e6) / n, pg: ((c1.pg - c0.pg) * 1e6) / n };
    // The low rate first: it drains completely, while the high one may leave a backlog that would blur a later run.
    const low = await latency(sys, PAIRS, LOW_RATE, SECONDS);
    const lat = await latency(sys, PAIRS, RATE, SECONDS);
    const row = { name, relays: relays.length, loadBefore: load, msgPerSec: tput, cpuUs, low, high: lat };
    const say = (l) =>
      `at ${fmt(l.offered)}/s offered: achieved ${fmt(l.achieved)}/s, received ${l.received}/${l.total}, ` +
      `p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms`;
    log(
      `${name}: ${fmt(tput)} msg/s durable (CPU per message: relays ${fmt(cpuUs.relays)} µs, PostgreSQL ` +
        `${fmt(cpuUs.pg)} µs); ${say(low)}; ${say(lat)} (load average before: ${fmt(load, 2)})`,
    );
    return row;
  } finally {
    sys.close();
  }
}

const m = machine();
log(
  `machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, ${m.node}; load average ${os.loadavg().map((x) => fmt(x, 2))}`,
);
log(
  `pairs ${PAIRS}, ${PER_SENDER} per sender (window 16) for msg/s; ${fmt(LOW_RATE)} then ${fmt(RATE)} msg/s offered for ${SECONDS} s each`,
);
const rows = [];
const sqlite = await startOurRelay();
try {
  rows.push(await measure('1 relay, SQLite', [sqlite]));
} finally {
  await sqlite.stop();
}
const server = await startPostgres({ port: await freePort() });
log(`PostgreSQL: ${server.source}, durable defaults (fsync on, synchronous_commit on)`);
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
try {
  for (const n of [1, 2, 3]) {
    await admin.query(`CREATE DATABASE scale${n}`);
    const url = server.url.replace(/\/postgres$/, `/scale${n}`);
    const relays = [];
    try {
      for (let i = 0; i < n; i++) relays.push(await pgRelay(url));
      rows.push(await measure(`${n} relay${n > 1 ? 's' : ''}, PostgreSQL`, relays, server.pid));
      // The same two relays with each pair on one relay: what crossing relays costs, apart from running two.
      if (n === 2) rows.push(await measure('2 relays, PostgreSQL, pairs not crossing', relays, server.pid, false));
    } finally {
      for (const r of relays) await r.stop();
    }
  }
} finally {
  await admin.end();
  await server.stop();
}
log(`\n${JSON.stringify(rows)}`);
