/**
 * A relay's part in a cluster of relays on one PostgreSQL (issue 17, docs/SCALING.md): the listener that wakes
 * sessions and hears events (postgres-listen.ts), the receiving-session leases with heartbeat and fencing
 * (postgres-leases.ts), events sent with `pg_notify`, and jobs that run on one relay at a time (advisory locks).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Cluster, ClusterHooks, ClusterTiming } from './cluster.js';
import { startLeases } from './postgres-leases.js';
import { checkIn, checkOut } from './postgres-pool.js';
import { eventPayload, listenForWakes, type WakeChannel } from './postgres-listen.js';

/** Advisory lock keys of exclusive jobs: this prefix in the high 32 bits, a hash of the job's name in the low. */
const JOB_LOCK_PREFIX = 7717_0018;

export async function openPgCluster(
  url: string,
  pool: pg.Pool,
  wake: WakeChannel,
  hooks: ClusterHooks,
  timing: ClusterTiming,
): Promise<Cluster> {
  const leases = await startLeases(url, pool, wake.node, timing, hooks);
  let listener: { close(): Promise<void> };
  try {
    listener = await listenForWakes(url, pool, wake, hooks, timing.recheckMs);
  } catch (err) {
    await leases.close();
    throw err;
  }
  return {
    claim: (user, conn) => leases.claim(user, conn),
    release: (user, conn) => leases.release(user, conn),
    receivers: (limit) => leases.receivers(limit),
    isReceiving: (user) => leases.isReceiving(user),
    receivingAmong: (users) => leases.receivingAmong(users),
    census: () => leases.census(),
    fenced: () => leases.fenced(),
    async publish(e) {
      const payload = eventPayload(wake.node, e);
      if (payload === undefined) return false;
      await pool.query('SELECT pg_notify($1, $2)', [wake.channel, payload]);
      return true;
    },
    async exclusive(job, fn) {
      const low = createHash('sha256').update(job).digest().readInt32BE(0);
      // A session-level lock, so it is held on one connection for the whole job and freed if that connection dies.
      const c = await checkOut(pool);
      let broken: Error | undefined;
      try {
        const got = (await c.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [JOB_LOCK_PREFIX, low])).rows[0] as {
          ok: boolean;
        };
        if (!got.ok) return undefined;
        try {
          return await fn();
        } finally {
          await c.query('SELECT pg_advisory_unlock($1, $2)', [JOB_LOCK_PREFIX, low]).catch((err: Error) => {
            broken = err; // the connection died, and its lock with it
          });
        }
      } finally {
        checkIn(c, broken);
      }
    },
    async close() {
      await listener.close();
      await leases.close();
    },
  };
}
