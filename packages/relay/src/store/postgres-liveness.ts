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
import { type KeptConnection, keepConnection } from './postgres-kept.js';

/** The high key of the liveness locks (`pg_advisory_lock(LIVENESS_LOCK_PREFIX, hashtext(node))`). */
export const LIVENESS_LOCK_PREFIX = 7717_0019;

/**
 * SQL true when the relay of `n.node` holds its liveness lock on this database. `pg_locks` shows an advisory lock
 * taken with two int4 keys as classid = key 1, objid = key 2, objsubid = 2.
 */
export const HOLDS_LIVENESS_LOCK = `EXISTS (SELECT 1 FROM pg_locks k
  WHERE k.locktype = 'advisory' AND k.granted AND k.objsubid = 2
    AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND k.classid = ${LIVENESS_LOCK_PREFIX}::oid AND k.objid = hashtext(n.node)::oid)`;

/** This relay's liveness lock: `held()` while the connection holding it is up. */
export type Liveness = KeptConnection;

/**
 * Takes this relay's liveness lock on a dedicated connection kept up with backoff (postgres-kept.ts); resolves once
 * it is held.
 * @param onLost called when the connection holding it is lost (the relay must fence itself)
 * @param onHeld called when a reconnect holds it again
 * @throws the connection error when the first connection fails
 */
export function holdLiveness(
  url: string,
  node: string,
  onLost: (error: string) => void,
  onHeld: () => void,
): Promise<Liveness> {
  return keepConnection(url, {
    setup: async (c) => {
      await c.query('SELECT pg_advisory_lock($1, hashtext($2))', [LIVENESS_LOCK_PREFIX, node]);
    },
    onLost: (error) => onLost(error),
    onRestored: onHeld,
  });
}
