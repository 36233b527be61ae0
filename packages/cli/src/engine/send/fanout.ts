/**
 * Client-side fan-out (PROTOCOL.md §15.2): one envelope per recipient, each signed and sealed for that recipient
 * alone, packed into as few `fanout` frames as fit under MAX_FRAME_BYTES, all written before any reply is awaited.
 */
import { randomMessageId, sealEnvelope, toHex } from '@chat/crypto';
import { MAX_FANOUT, MAX_FRAME_BYTES } from '@chat/protocol';
import type { Connection } from '../net/connection.js';
import { maySendTo } from '../contacts/contacts.js';
import { ChatError } from '../errors.js';
import type { Lookup, Self } from '../context.js';
import type { FanoutResult } from '../events.js';
import type { Store } from '../store/store.js';

/** msgpack overhead per entry (str header + name, bin headers, id) and per frame, rounded up generously. */
const ENTRY_OVERHEAD = 64;
const FRAME_OVERHEAD = 64;

export type { FanoutResult } from '../events.js';

/** What a fan-out needs: our keys and the contacts (§3.4). */
export type FanoutContext = Self & Lookup & { readonly store: Pick<Store, 'getContact'> };

/**
 * Seals `body` of `kind` to each of `recipients` (ourselves excluded) and stores them with pipelined `fanout` frames.
 * Unknown recipients are looked up and pinned first (§3.4); one whose key changed is skipped and reported.
 */
export async function fanout(m: FanoutContext, conn: Connection, kind: number, body: Uint8Array, recipients: readonly string[]): Promise<FanoutResult> {
  const result: FanoutResult = { stored: [], failed: [] };
  const ts = Date.now();
  const entries: { to: string; id: Uint8Array; env: Uint8Array }[] = [];
  for (const to of [...new Set(recipients)].filter((u) => u !== m.username)) {
    let contact = m.store.getContact(to);
    if (!maySendTo(contact)) {
      try {
        contact = await m.lookupAndPin(to, conn);
      } catch (err) {
        if (err instanceof ChatError && err.exitCode !== 5) {
          result.failed.push({ to, code: err.code });
          continue;
        }
        throw err;
      }
    }
    const id = randomMessageId();
    const env = sealEnvelope({ kind, from: m.username, to, id, ts, body }, m.identity.identity.secretKey, contact.encryptionPublicKey);
    entries.push({ to, id, env });
  }
  const codes = await sendFanoutFrames(conn, entries);
  entries.forEach((e, k) => {
    if (codes[k] === '') result.stored.push({ to: e.to, id: toHex(e.id) });
    else result.failed.push({ to: e.to, code: codes[k]! });
  });
  return result;
}

/**
 * Writes sealed envelopes in as few `fanout` frames as fit under MAX_FRAME_BYTES, every frame before the first reply
 * is awaited (one round trip however many frames, §15.2). Returns each entry's code, in order: '' stored.
 */
export async function sendFanoutFrames(conn: Connection, entries: readonly { to: string; id: Uint8Array; env: Uint8Array }[]): Promise<string[]> {
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
  const codes = await Promise.all(batches.map((b) => conn.fanout(b.map((e) => e.to), b.map((e) => e.id), b.map((e) => e.env))));
  return codes.flat();
}
