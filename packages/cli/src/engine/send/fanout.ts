/**
 * Client-side fan-out (PROTOCOL.md §15.2): envelopes already sealed for each recipient alone (the outbox seals them,
 * outbox-sender.ts), packed into as few `fanout` frames as fit under MAX_FRAME_BYTES, all written before any reply is
 * awaited.
 */
import { MAX_FANOUT, MAX_FRAME_BYTES } from '@chat/protocol';
import type { Connection } from '../net/connection.js';

/** msgpack overhead per entry (str header + name, bin headers, id) and per frame, rounded up generously. */
const ENTRY_OVERHEAD = 64;
const FRAME_OVERHEAD = 64;

/**
 * Writes sealed envelopes in as few `fanout` frames as fit under MAX_FRAME_BYTES, every frame before the first reply
 * is awaited (one round trip however many frames, §15.2). Returns each entry's code, in order: '' stored.
 */
export async function sendFanoutFrames(
  conn: Connection,
  entries: readonly { to: string; id: Uint8Array; env: Uint8Array }[],
): Promise<string[]> {
  const batches: (typeof entries)[number][][] = [];
  let batch: (typeof entries)[number][] = [];
  let size = FRAME_OVERHEAD;
  for (const e of entries) {
    const cost = e.env.length + e.to.length + ENTRY_OVERHEAD;
    if (batch.length > 0 && (size + cost > MAX_FRAME_BYTES || batch.length >= MAX_FANOUT)) {
      batches.push(batch);
      batch = [];
      size = FRAME_OVERHEAD;
    }
    batch.push(e);
    size += cost;
  }
  if (batch.length > 0) batches.push(batch);
  const codes = await Promise.all(
    batches.map((b) =>
      conn.fanout(
        b.map((e) => e.to),
        b.map((e) => e.id),
        b.map((e) => e.env),
      ),
    ),
  );
  return codes.flat();
}
