// The load patterns, identical for every system: closed-loop throughput and open-loop latency at a fixed offered rate.
import { payload, quantile } from './common.mjs';

/**
 * Throughput: each of the N senders keeps `window` sends outstanding until it has sent `perSender` messages (each
 * stored durably before the ack that frees its slot). Ends when every recipient has received all of them.
 */
export async function throughput(sys, n, perSender, window = 64) {
  const total = n * perSender;
  let received = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  sys.onReceive = () => {
    if (++received === total) done();
  };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, pair) => {
      let seq = 0;
      const lane = async () => {
        while (seq < perSender) await sys.send(pair, seq++, payload(pair, seq));
      };
      await Promise.all(Array.from({ length: window }, lane));
    }),
  );
  await Promise.race([
    finished,
    new Promise((_, rej) => setTimeout(() => rej(new Error(`throughput: ${received}/${total} received`)), 60_000)),
  ]);
  return total / ((performance.now() - t0) / 1000);
}

/**
 * Latency at an offered rate (msg/s over all pairs) for `seconds`: messages are due on a fixed schedule and the
 * latency of each is receive time minus its *scheduled* send time, so a sender that falls behind is charged for it.
 */
export async function latency(sys, n, rate, seconds) {
  const total = Math.round(rate * seconds);
  const due = new Float64Array(total);
  const lat = [];
  let received = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  sys.onReceive = (pair, seq) => {
    const idx = seq * n + pair;
    if (idx < total) lat.push(performance.now() - due[idx]);
    if (++received === total) done();
  };
  const t0 = performance.now() + 20;
  for (let i = 0; i < total; i++) due[i] = t0 + (i * 1000) / rate;
  let next = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && due[next] <= now) {
        const pair = next % n;
        const seq = Math.floor(next / n);
        sys.send(pair, seq, payload(pair, seq)).catch(() => {});
        next++;
      }
      if (next < total) setImmediate(tick);
      else resolve();
    };
    setImmediate(tick);
  });
  await Promise.race([finished, new Promise((r) => setTimeout(r, 15_000))]);
  const elapsed = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    offered: rate,
    achieved: received / elapsed,
    received,
    total,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    p999: quantile(lat, 0.999),
  };
}
