import type { RawClient } from './raw-client.js';

export interface LatencyReport {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Pings through `client` (an authenticated RawClient) every `everyMs` until `stop()` is called, recording round-trip
 * times in ms. The client must not be used for anything else meanwhile.
 */
export function measureLatency(client: RawClient, everyMs = 50): { stop(): Promise<LatencyReport> } {
  const rtts: number[] = [];
  let running = true;
  let rid = 1_000_000;
  const loop = (async () => {
    while (running) {
      const r = rid++;
      const t0 = performance.now();
      client.send({ t: 'ping', rid: r });
      await client.next((f) => f.t === 'pong' && f.rid === r, 10_000);
      rtts.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      // One more round trip after the abuse: the bystander is still served, however fast the abuse was.
      const r = rid++;
      const t0 = performance.now();
      client.send({ t: 'ping', rid: r });
      await client.next((f) => f.t === 'pong' && f.rid === r, 60_000);
      rtts.push(performance.now() - t0);
      const sorted = [...rtts].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      const round = (x: number) => Math.round(x * 100) / 100;
      return {
        samples: sorted.length,
        p50: round(at(0.5)),
        p99: round(at(0.99)),
        max: round(sorted[sorted.length - 1] ?? NaN),
      };
    },
  };
}
