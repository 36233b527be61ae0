#!/usr/bin/env node
// One scenario of the suite on its own, for profiling and for checking a change quickly (nothing is written).
// Usage: node scripts/bench/scenario.mjs <throughput|latency|login|drain|drain-v2|connections|oneshot> [count]
//   throughput [messages per sender]   latency [msg/s]   login [handshakes]   drain [messages]   connections [n]
//   drain-v2 [messages]: the drain with v2 envelopes (drain-v2.mjs), timed in a fresh process; CHAT_BENCH_CLIENT_PROF=DIR
//   writes a CPU profile of that process's drain (the engine) to DIR.
// Profile the relay process with CHAT_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" (node options for chat-relay).
import { fmt } from './common.mjs';
import { latency, throughput } from './driver.mjs';
import { drain, loginRate, oneShot } from './client.mjs';
import { connections } from './connections.mjs';
import { drainV2 } from './drain-v2.mjs';
import { ours } from './ours.mjs';

const [name, n] = process.argv.slice(2);
const count = n === undefined ? undefined : Number(n);
const log = (s) => process.stdout.write(`${s}\n`);
if (name === 'throughput' || name === 'latency') {
  const sys = await ours(4);
  try {
    if (name === 'throughput') log(`throughput: ${fmt(await throughput(sys, 4, count ?? 2500))} msg/s`);
    else {
      await throughput(sys, 4, 2500); // warm up, as in the suite (latency runs after the throughput runs there)
      const l = await latency(sys, 4, count ?? 10_000, 2);
      log(
        `latency at ${fmt(count ?? 10_000)}/s: achieved ${fmt(l.achieved)}/s, received ${l.received}/${l.total}, p50 ${fmt(l.p50, 2)} ms, p99 ${fmt(l.p99, 2)} ms, p99.9 ${fmt(l.p999, 2)} ms`,
      );
    }
  } finally {
    await sys.close();
  }
} else if (name === 'login') {
  const l = await loginRate(count ?? 2000);
  log(
    `login rate: ${fmt(l.rate)}/s; relay CPU ${fmt(l.relayCpuMs, 3)} ms per login (${fmt(1000 / l.relayCpuMs)} per relay-core second)`,
  );
} else if (name === 'drain') {
  const d = await drain(count ?? 10_000);
  log(
    `drain: ${fmt(d.seconds, 2)} s (${fmt(d.received / d.seconds)} msg/s), ${d.received} received, ${d.leftOnRelay} left on relay; CPU per message: engine ${fmt(d.clientCpuUsPerMessage, 1)} µs, relay ${fmt(d.relayCpuUsPerMessage, 1)} µs`,
  );
} else if (name === 'drain-v2') {
  const d = await drainV2(count ?? 10_000);
  log(
    `drain v2: ${fmt(d.seconds, 2)} s (${fmt(d.received / d.seconds)} msg/s), ${d.received} received, ${d.leftOnRelay} left on relay; CPU per message: engine ${fmt(d.clientCpuUsPerMessage, 1)} µs (the cryptography alone ${fmt(d.cryptoFloorUsPerMessage, 1)} µs), its main thread ${fmt(d.mainThreadCpuUsPerMessage, 1)} µs, relay ${fmt(d.relayCpuUsPerMessage, 1)} µs`,
  );
} else if (name === 'connections') log(JSON.stringify(await connections(count ?? 10_000)));
else if (name === 'oneshot') log(JSON.stringify(await oneShot(count ?? 10)));
else {
  log('usage: node scripts/bench/scenario.mjs <throughput|latency|login|drain|drain-v2|connections|oneshot> [count]');
  process.exit(2);
}
