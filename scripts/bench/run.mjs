#!/usr/bin/env node
// The benchmark suite (issue 8): our relay and client against Mosquitto and NATS JetStream on this machine, one run.
// Usage: npm run build && npm run bench [-- --full] [-- --out DIR]   (pnpm bench works the same)
//   short mode (default): a few minutes; --full: longer runs and more load points.
// Writes DIR/results.json, DIR/results.md (the tables) and DIR/latency.svg; DIR defaults to bench-results/.
// Our relay is the built `chat-relay` binary in its own process (TLS 1.3, SQLite in a temp dir); the load generator
// and the client engine run in this process. Peers are the Debian packages, driven by the npm `mqtt` and `nats` clients.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, fmt, machine, median } from './common.mjs';
import { storageFloor } from './storage-floor.mjs';
import { tlsFloor } from './tls-floor.mjs';
import { latency, throughput } from './driver.mjs';
import { drain, fsyncRate, loginRate, oneShot } from './client.mjs';
import { drainV2 } from './drain-v2.mjs';
import { connections } from './connections.mjs';
import { ours, startFloorRelay } from './ours.mjs';
import { mosquitto, nats } from './peers.mjs';
import { latencyChart } from './svg.mjs';

const argv = process.argv.slice(2);
const full = argv.includes('--full');
const outDir = resolve(
  argv[argv.indexOf('--out') + 1] && argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : 'bench-results',
);
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const P = full
  ? {
      pairs: 4,
      perSender: 10_000,
      runs: 5,
      rates: [500, 1000, 2000, 5000, 10_000, 20_000],
      seconds: 5,
      drainCount: 10_000,
      drainRuns: 3,
      connections: 10_000,
      logins: 5000,
      loginRuns: 3,
      oneShotRuns: 20,
      cryptoSeconds: 1,
    }
  : {
      pairs: 4,
      perSender: 2500,
      runs: 3,
      rates: [1000, 2000, 5000, 10_000],
      seconds: 2,
      drainCount: 10_000,
      drainRuns: 3,
      connections: 10_000,
      logins: 2000,
      loginRuns: 3,
      oneShotRuns: 10,
      cryptoSeconds: 0.3,
    };

const m = machine();
const command = `npm run bench${full ? ' -- --full' : ''}`;
const log = (s) => process.stdout.write(`${s}\n`);
log(
  `# chat benchmark suite (${full ? 'full' : 'short'} mode)\nmachine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, ${m.os}, node ${m.node}\ncommand: ${command}\n`,
);
const results = {
  machine: m,
  command,
  mode: full ? 'full' : 'short',
  date: new Date().toISOString(),
  params: P,
  systems: {},
  skipped: {},
};

function peakRssKiB(pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(execFileSync('cat', [`/proc/${pid}/status`]).toString())[1]);
  } catch {
    return undefined;
  }
}

/** Throughput (P.runs runs, server CPU per message) and latency at each offered rate, for one system. */
async function measure(sys) {
  const tputs = [];
  const cpus = [];
  const clientCpus = [];
  const pid = sys.pid ?? sys.relay?.pid;
  for (let r = 0; r < P.runs; r++) {
    const c0 = cpuSeconds(pid);
    const own0 = process.cpuUsage();
    tputs.push(await throughput(sys, P.pairs, P.perSender));
    const own = process.cpuUsage(own0);
    cpus.push(((cpuSeconds(pid) - c0) * 1e6) / (P.pairs * P.perSender));
    clientCpus.push((own.user + own.system) / (P.pairs * P.perSender));
  }
  const sat = median(tputs);
  const cpuUs = median(cpus);
  const clientCpuUs = median(clientCpus);
  log(
    `${sys.name}: durable throughput median ${fmt(sat)} msg/s over ${P.runs} runs of ${fmt(P.pairs * P.perSender)} (runs: ${tputs.map((t) => fmt(t)).join(', ')}); server CPU ${fmt(cpuUs, 1)} µs per message, load generator ${fmt(clientCpuUs, 1)} µs`,
  );
  const rates = [...new Set([...P.rates, Math.round((sat * 0.9) / 100) * 100])].sort((a, b) => a - b);
  const lat = [];
  for (const rate of rates) {
    const l = await latency(sys, P.pairs, rate, P.seconds);
    lat.push({ ...l, nearSaturation: rate === Math.round((sat * 0.9) / 100) * 100 });
    log(
      `  offered ${fmt(rate)}/s${lat.at(-1).nearSaturation ? ' (0.9 x saturation)' : ''}: achieved ${fmt(l.achieved)}/s, received ${l.received}/${l.total}, p50 ${fmt(l.p50, 2)} ms, p99 ${fmt(l.p99, 2)} ms, p99.9 ${fmt(l.p999, 2)} ms`,
    );
  }
  return {
    name: sys.name,
    throughput: sat,
    throughputRuns: tputs,
    serverCpuUsPerMessage: cpuUs,
    clientCpuUsPerMessage: clientCpuUs,
    latency: lat,
    peakRssKiB: peakRssKiB(pid),
  };
}

for (const [key, make] of [
  ['ours', ours],
  ['mosquitto', mosquitto],
  ['nats', nats],
]) {
  let sys;
  try {
    sys = await make(P.pairs);
  } catch (e) {
    sys = { skipped: `could not start or connect: ${e.message}` };
  }
  if (sys.skipped) {
    results.skipped[key] = sys.skipped;
    log(`SKIPPED ${key}: ${sys.skipped}`);
    continue;
  }
  try {
    results.systems[key] = await measure(sys);
  } catch (e) {
    results.skipped[key] = `failed during the run: ${e.message}`;
    log(`FAILED ${key}: ${e.message}`);
  } finally {
    await sys.close().catch(() => {});
  }
}

// The floor under ours: the same client, TLS and codec against a forwarder that stores and checks nothing
// (floor-server.mjs). Not a peer: it is what Node's TLS and sockets alone allow on this machine with this client.
{
  let sys;
  try {
    sys = await ours(P.pairs, startFloorRelay, 'floor: bare TLS forwarder, no storage (floor-server.mjs)');
    results.floor = await measure(sys);
  } catch (e) {
    results.floor = { skipped: e.message };
    log(`FAILED floor: ${e.message}`);
  } finally {
    await sys?.close().catch(() => {});
  }
}

const loginRuns = [];
for (let r = 0; r < P.loginRuns; r++) loginRuns.push(await loginRate(P.logins));
const logins = loginRuns.map((x) => x.rate);
const loginCpu = median(loginRuns.map((x) => x.relayCpuMs));
results.loginRate = {
  median: median(logins),
  runs: logins,
  relayCpuMsPerLogin: loginCpu,
  relayCpuMsRuns: loginRuns.map((x) => x.relayCpuMs),
};
log(
  `\nours: login rate median ${fmt(median(logins))} handshakes/s (TLS 1.3 + hello + auth, 16 concurrent; runs: ${logins.map((x) => fmt(x)).join(', ')}); relay CPU ${fmt(loginCpu, 3)} ms per login = ${fmt(1000 / loginCpu)} logins per relay-core second`,
);

results.connections = await connections(P.connections).catch((e) => ({ skipped: e.message }));
if (results.connections.skipped) log(`FAILED connections: ${results.connections.skipped}`);
else
  log(
    `ours: ${fmt(results.connections.open)} of ${fmt(P.connections)} authenticated idle connections held; established in ${fmt(results.connections.seconds, 1)} s (${fmt(results.connections.perSecond)}/s, first logins, 32 concurrent); relay RSS ${fmt(results.connections.rssBeforeMiB, 1)} -> ${fmt(results.connections.rssAfterMiB, 1)} MiB = ${fmt(results.connections.kibPerConnection, 1)} KiB per connection`,
  );

// The drain with v1 envelopes (signed, sealed) and with v2 envelopes (one answered Double Ratchet session), runs
// alternating so that load from other work hits both alike.
const drains = { v1: [], v2: [] };
for (let r = 0; r < P.drainRuns; r++) {
  for (const [v, run] of [
    ['v1', drain],
    ['v2', drainV2],
  ]) {
    try {
      drains[v].push(await run(P.drainCount));
    } catch (e) {
      log(`FAILED drain ${v} run ${r + 1}: ${e.message}`);
    }
  }
}
for (const [v, key] of [
  ['v1', 'drain'],
  ['v2', 'drainV2'],
]) {
  const runs = drains[v];
  results[key] = {
    count: P.drainCount,
    medianSeconds: median(runs.map((d) => d.seconds)),
    clientCpuUsPerMessage: median(runs.map((d) => d.clientCpuUsPerMessage)),
    relayCpuUsPerMessage: median(runs.map((d) => d.relayCpuUsPerMessage)),
    ...(v === 'v2' ? { cryptoFloorUsPerMessage: median(runs.map((d) => d.cryptoFloorUsPerMessage)) } : {}),
    runs,
  };
  log(
    `ours: offline drain of ${fmt(P.drainCount)} ${v} envelopes through the client engine: median ${fmt(results[key].medianSeconds, 2)} s (${fmt(P.drainCount / results[key].medianSeconds)} msg/s), CPU per message: engine ${fmt(results[key].clientCpuUsPerMessage, 1)} µs, relay ${fmt(results[key].relayCpuUsPerMessage, 1)} µs; runs: ${runs.map((d) => `${fmt(d.seconds, 2)} s, ${d.received} received, ${d.leftOnRelay} left on relay`).join('; ')}`,
  );
}

results.oneShot = await oneShot(P.oneShotRuns);
if (results.oneShot.skipped) log(`SKIPPED one-shot: ${results.oneShot.skipped}`);
else
  for (const [k, v] of Object.entries(results.oneShot))
    log(`ours: ${k} wall time median ${fmt(v.medianMs)} ms (hyperfine, ${P.oneShotRuns} runs, min ${fmt(v.minMs)} ms)`);

results.tlsFloor = await tlsFloor(P.logins, full ? 10_000 : 5000).catch((e) => ({ skipped: e.message }));
if (results.tlsFloor.skipped) log(`FAILED TLS floor: ${results.tlsFloor.skipped}`);
else
  log(
    `bare node:tls server (the floor under logins and idle connections): ${fmt(results.tlsFloor.handshakesPerSecond)} handshakes/s, server CPU ${fmt(results.tlsFloor.serverCpuMsPerHandshake, 3)} ms per handshake; ${fmt(results.tlsFloor.kibPerConnection, 1)} KiB per idle connection (${fmt(results.tlsFloor.idleConnections)} held)`,
  );

try {
  results.storageFloor = storageFloor(full ? 100_000 : 40_000);
} catch (e) {
  results.storageFloor = [];
  log(`FAILED storage floor: ${e.message}`);
}
if (results.storageFloor.length > 0)
  log(
    `relay's SQLite store alone, insert + delete per message (scripts/bench/storage-floor.mjs): ${results.storageFloor.map((x) => `batch ${x.batch}: ${fmt(x.cpuUsPerMessage, 1)} µs CPU, ${fmt(x.messagesPerSecond)} msg/s`).join('; ')}`,
  );

results.fsyncPerSecond = fsyncRate();
log(`machine: 256-byte write + fsync ${fmt(results.fsyncPerSecond)}/s on ${join(process.env.TMPDIR ?? '/tmp')}`);

log('\ncrypto (scripts/bench-crypto.mjs):');
results.crypto = execFileSync(process.execPath, [
  join(ROOT, 'scripts/bench-crypto.mjs'),
  String(P.cryptoSeconds),
]).toString();
log(results.crypto.trimEnd());

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const sysList = Object.values(results.systems);
if (sysList.length > 0)
  writeFileSync(
    join(outDir, 'latency.svg'),
    latencyChart(
      sysList.map((s) => ({ name: s.name, points: s.latency })),
      `p99 latency vs offered load, ${P.pairs} senders -> ${P.pairs} recipients, 256 B (${m.cpu}, ${m.cores} cores)`,
    ),
  );
writeFileSync(join(outDir, 'results.md'), (await import('./report.mjs')).markdown(results));
log(`\nwrote ${outDir}/results.json, results.md, latency.svg`);
