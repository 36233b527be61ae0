/**
 * A relay process's liveness as PostgreSQL sees it (issue 17: "clients back on another node within 1 s"). The
 * heartbeat row alone lets a crashed relay's users move only when its lease has run out (8 s). But a process that
 * dies, however it dies, has its sockets closed by the kernel, and PostgreSQL ends its backends and releases their
 * session locks at once. So each relay holds a session-level advisory lock on a connection of its own, keyed on its
 * node token, and a relay counts as alive only while its heartbeat is fresh AND that lock is held (`ALIVE_SQL`).
 *
 * A relay whose lock connection is lost is fenced at once (it may be counted dead from that moment), and serves again
 * only once it holds the lock again and has renewed its heartbeat. A host that vanishes without closing its sockets
 * (power loss, a network partition) keeps its backends until TCP gives up on them: the heartbeat lease decides then.
 */
import pg from 'pg';
import { types } from './postgres-pool.js';

/** The high key of the liveness locks (`pg_advisory_lock(LIVENESS_LOCK_PREFIX, hashtext(node))`). */
export const LIVENESS_LOCK_PREFIX = 7717_0019;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * SQL true when the relay of `n.node` holds its liveness lock on this database. `pg_locks` shows an advisory lock
 * taken with two int4 keys as classid = key 1, objid = key 2, objsubid = 2.
 */
export const HOLDS_LIVENESS_LOCK = `EXISTS (SELECT 1 FROM pg_locks k
  WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 2
    AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND k.classid = ${LIVENESS_LOCK_PREFIX}::oid AND k.objid = hashtext(n.node)::oid)`;

export interface Liveness {
  /** True while this relay's liveness lock is held. */
  held(): boolean;
  close(): Promise<void>;
}

/**
 * Takes this relay's liveness lock on a dedicated connection; resolves once it is held.
 * @param onLost called when the connection holding it is lost (the relay must fence itself)
 * @throws the connection error when the first connection fails
 */
export async function holdLiveness(
  url: string,
  node: string,
  onLost: (error: string) => void,
  onHeld: () => void,
): Promise<Liveness> {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let backoff = RECONNECT_MIN_MS;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, types });
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = undefined;
      c.removeAllListeners('end');
      void c.end().catch(() => {});
      if (closed) return;
      onLost(err?.message ?? 'connection ended');
      schedule();
    };
    c.on('error', lost);
    c.on('end', () => lost());
    try {
      await c.connect();
      await c.query('SELECT pg_advisory_lock($1, hashtext($2))', [LIVENESS_LOCK_PREFIX, node]);
    } catch (err) {
      c.removeAllListeners('end');
      void c.end().catch(() => {});
      throw err;
    }
    if (closed) {
      void c.end().catch(() => {});
      return;
    }
    client = c;
    backoff = RECONNECT_MIN_MS;
  };
  const schedule = () => {
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(onHeld, () => {
        backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
        if (!closed) schedule();
      });
    }, backoff);
    retry.unref();
  };

  await connect();
  return {
    held: () => client !== undefined,
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => {});
      }
    },
  };
}
