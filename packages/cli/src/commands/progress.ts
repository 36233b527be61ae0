/**
 * Transfer progress for the one-shot commands: a cli-progress bar on stderr (bytes, rate, ETA) when stderr is a
 * terminal, one JSON line per update on stdout with `--json` (at most every 200 ms, and the last one always), and
 * nothing otherwise. The Ink session draws its own.
 */
import type { FileProgress } from '../engine/files/incoming.js';
import type { Io } from './io.js';
import { printJson } from './io.js';

export interface ProgressSink {
  update(p: FileProgress): void;
  stop(): void;
}

export function rateOf(p: FileProgress, now = Date.now()): number {
  const s = (now - p.startedAt) / 1000;
  return s > 0 ? p.done / s : 0;
}

export async function progressSink(io: Io, json: boolean): Promise<ProgressSink> {
  if (json) {
    let last = 0;
    return {
      update(p) {
        const now = Date.now();
        if (p.done < p.total && now - last < 200) return;
        last = now;
        const rate = rateOf(p, now);
        printJson(io, {
          event: 'progress',
          direction: p.direction,
          id: p.blob,
          name: p.name,
          bytes: p.done,
          total: p.total,
          rate: Math.round(rate),
          etaMs: rate > 0 ? Math.round(((p.total - p.done) / rate) * 1000) : null,
        });
      },
      stop() {},
    };
  }
  const stream = io.stderr as unknown as NodeJS.WriteStream;
  if (!stream.isTTY) return { update() {}, stop() {} };
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar(
    {
      stream,
      format: '{dir} {bar} {percentage}% | {doneMiB}/{totalMiB} MiB | {rateMiB} MiB/s | ETA {eta_formatted}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = {
        dir: p.direction === 'up' ? 'upload  ' : 'download',
        doneMiB: (p.done / 2 ** 20).toFixed(1),
        totalMiB: (p.total / 2 ** 20).toFixed(1),
        rateMiB: (rateOf(p) / 2 ** 20).toFixed(1),
      };
      if (!started) {
        bar.start(Math.max(p.total, 1), p.done, payload);
        started = true;
      } else bar.update(p.done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
