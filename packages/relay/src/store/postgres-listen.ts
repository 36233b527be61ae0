/**
 * Waking across relays on PostgreSQL (issue 17): the transaction that stores envelopes also runs `pg_notify` on the
 * database's wake channel (postgres-store.ts), which PostgreSQL delivers to every listener when, and only if, that
 * transaction commits. Each relay keeps one connection of its own in `LISTEN` on that channel and wakes the receiving
 * sessions it holds for the names it hears.
 *
 * A notification is lost when the listener's connection is down as it is sent. Two re-checks make a lost one a delay,
 * never a loss: right after the listener (re)connects, and every `recheckMs`, the relay asks which of its receivers
 * have anything waiting, and wakes those (their sessions then read from their cursor, so nothing is sent twice).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ClusterEvent, ClusterHooks } from './cluster.js';
import { keepConnection } from './postgres-kept.js';

/** Most bytes of one notification payload (PostgreSQL refuses more than 8000). */
export const WAKE_PAYLOAD_MAX = 7_900;

/** Where a relay's commits announce themselves: one channel per schema, so databases shared by schema stay apart. */
export interface WakeChannel {
  /** `chat_relay_` and 16 hex digits of the SHA-256 of the schema's name. */
  channel: string;
  /** This relay process's random token: its own notifications are not for it (it woke its sessions already). */
  node: string;
}

export function wakeChannel(schema: string, node: string): WakeChannel {
  return { channel: `chat_relay_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`, node };
}

/**
 * The payloads announcing that `users` got envelopes: JSON `{"n":node,"w":[names]}`, split so that each stays under
 * WAKE_PAYLOAD_MAX bytes (a name is at most 32 ASCII bytes).
 */
export function wakePayloads(node: string, users: readonly string[]): string[] {
  const out: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const u of users) {
    if (bytes + u.length + 3 > WAKE_PAYLOAD_MAX - 64 && batch.length > 0) {
      out.push(JSON.stringify({ n: node, w: batch }));
      batch = [];
      bytes = 0;
    }
    batch.push(u);
    bytes += u.length + 3;
  }
  if (batch.length > 0) out.push(JSON.stringify({ n: node, w: batch }));
  return out;
}

/** An event for the other relays: JSON `{"n":node,"e":event}`; undefined if over WAKE_PAYLOAD_MAX bytes. */
export function eventPayload(node: string, e: ClusterEvent): string | undefined {
  const p = JSON.stringify({ n: node, e });
  return Buffer.byteLength(p) <= WAKE_PAYLOAD_MAX ? p : undefined;
}

/** What a payload from another relay says; nothing for our own, or for anything malformed. */
export function heard(payload: string, node: string): { wake: string[]; event?: ClusterEvent } {
  try {
    const p = JSON.parse(payload) as { n?: unknown; w?: unknown; e?: unknown };
    if (p.n === node) return { wake: [] };
    const event = p.e !== null && typeof p.e === 'object' ? (p.e as ClusterEvent) : undefined;
    const wake = Array.isArray(p.w) ? p.w.filter((u): u is string => typeof u === 'string') : [];
    return event ? { wake, event } : { wake };
  } catch {
    return { wake: [] };
  }
}

/** The names in a wake payload from another relay; none for our own, or for anything malformed. */
export function wokenBy(payload: string, node: string): string[] {
  return heard(payload, node).wake;
}

/**
 * Starts listening on `wake.channel`; resolves once the first `LISTEN` holds (so a session that authenticates after
 * the relay has started is woken by every later commit).
 * @throws the connection error when the first connection fails
 */
export async function listenForWakes(
  url: string,
  pool: pg.Pool,
  wake: WakeChannel,
  hooks: ClusterHooks,
  recheckMs: number,
): Promise<{ close(): Promise<void> }> {
  let closed = false;
  const recheck = async (): Promise<void> => {
    const names = hooks.receiving();
    if (names.length === 0 || closed) return;
    const r = await pool.query('SELECT DISTINCT recipient FROM envelopes WHERE recipient = ANY($1::text[])', [names]);
    hooks.wake((r.rows as { recipient: string }[]).map((x) => x.recipient));
  };
  const recheckLogged = () =>
    void recheck().catch((err: unknown) => hooks.log('cluster_recheck_failed', { error: (err as Error).message }));
  const lost = (error: string, retryMs: number) => hooks.log('cluster_listener_lost', { error, retryMs });

  const listener = await keepConnection(url, {
    setup: async (c) => {
      c.on('notification', (m) => {
        if (m.channel === wake.channel && m.payload !== undefined) {
          const { wake: users, event } = heard(m.payload, wake.node);
          if (users.length > 0) hooks.wake(users);
          if (event) hooks.event(event);
        }
      });
      await c.query(`LISTEN ${c.escapeIdentifier(wake.channel)}`);
    },
    onLost: lost,
    onRetryFailed: lost,
    onRestored: () => {
      hooks.log('cluster_listening', { channel: wake.channel, reconnected: 1 });
      recheckLogged(); // what was committed while nobody here listened
    },
  });
  hooks.log('cluster_listening', { channel: wake.channel, reconnected: 0 });
  const ticker = setInterval(recheckLogged, recheckMs);
  ticker.unref();
  return {
    async close() {
      closed = true;
      clearInterval(ticker);
      await listener.close();
    },
  };
}
