/**
 * The one receiving session per user across relays (§8 step 4, issue 17): a lease row per user naming the relay
 * (`node`) and connection that hold it, and a heartbeat row per relay. Time on the database's clock decides who is
 * alive (`heartbeat_at` is `now()` of the server), so relays' clocks need not agree.
 *
 * - A claim takes the row when nobody holds it, when this relay holds it (a connection of ours whose release was
 *   lost), or when its relay has not renewed its heartbeat for `leaseMs`: a dead relay's users move within that.
 * - Fencing: a relay that has not renewed its heartbeat for 3/4 of `leaseMs` (by its own monotonic clock, counted
 *   from when it sent the last renewal that succeeded) stops delivering and ends its receiving sessions, before any
 *   other relay can consider it dead. A relay paused longer than that (SIGSTOP, a stalled VM) therefore fences
 *   itself the moment it runs again, whatever its timers do first: `fenced()` is checked before every delivery.
 * - Liveness lock (postgres-liveness.ts): a relay also counts as dead once the connection holding its liveness lock is
 *   gone, which for a process that died is at once; so a crashed relay's users move within their reconnect, not the
 *   lease. A relay that loses that connection fences itself at once for the same reason.
 */
import type pg from 'pg';
import type { Census, ClusterHooks, ClusterTiming } from './cluster.js';
import { HOLDS_LIVENESS_LOCK, holdLiveness } from './postgres-liveness.js';

export interface Leases {
  claim(user: string, conn: number): Promise<boolean>;
  release(user: string, conn: number): void;
  receivers(limit: number): Promise<string[]>;
  isReceiving(user: string): Promise<boolean>;
  receivingAmong(users: readonly string[]): Promise<Set<string>>;
  census(): Promise<Census>;
  fenced(): boolean;
  close(): Promise<void>;
}

export async function startLeases(
  url: string,
  pool: pg.Pool,
  node: string,
  timing: ClusterTiming,
  hooks: ClusterHooks,
): Promise<Leases> {
  /** SQL true when the relay of row `n` (relay_nodes) is alive: a fresh heartbeat and its liveness lock held. */
  const alive = `n.heartbeat_at > now() - make_interval(secs => ${timing.leaseMs / 1000}) AND ${HOLDS_LIVENESS_LOCK}`;
  let renewedAt = performance.now();
  let fencedNow = false;
  let closed = false;
  const register = () =>
    pool.query(
      `INSERT INTO relay_nodes (node, started_at, heartbeat_at) VALUES ($1, $2, now())
       ON CONFLICT (node) DO UPDATE SET heartbeat_at = now()`,
      [node, Date.now()],
    );
  // What relays that died long ago left behind (a crash skips `close`); a day is far beyond any pause worth keeping.
  await pool.query("DELETE FROM relay_nodes WHERE heartbeat_at < now() - interval '1 day'");
  await pool.query(
    'DELETE FROM receiver_leases l WHERE NOT EXISTS (SELECT 1 FROM relay_nodes n WHERE n.node = l.node)',
  );
  await register();
  const stale = () => performance.now() - renewedAt > (timing.leaseMs * 3) / 4;
  const fence = () => {
    if (fencedNow) return;
    fencedNow = true;
    hooks.log('cluster_fenced', { node, sinceRenewalMs: Math.round(performance.now() - renewedAt) });
    hooks.fence();
  };
  let beating = false;
  const beat = async () => {
    if (beating || closed) return;
    beating = true;
    const sent = performance.now();
    try {
      if (stale()) fence();
      const r = await pool.query('UPDATE relay_nodes SET heartbeat_at = now() WHERE node = $1', [node]);
      // Gone: another relay swept us as dead. Our leases may be anyone's now; come back as alive with none.
      if (r.rowCount === 0) {
        fence();
        await register();
      }
      if (fencedNow && liveness.held()) {
        // Leases still ours were given up by ending the sessions; drop the rest before delivering again.
        await pool.query('DELETE FROM receiver_leases WHERE node = $1', [node]);
        fencedNow = false;
        hooks.log('cluster_unfenced', { node });
      }
      renewedAt = sent;
    } catch (err) {
      hooks.log('cluster_heartbeat_failed', { error: (err as Error).message });
      if (stale()) fence();
    } finally {
      beating = false;
    }
  };
  // Last, so that nothing after it can fail and leave its connection open.
  const liveness = await holdLiveness(
    url,
    node,
    (error) => {
      hooks.log('cluster_liveness_lost', { error });
      fence();
    },
    () => hooks.log('cluster_liveness_held', { node }),
  );
  const ticker = setInterval(() => {
    if (stale()) fence(); // also while a renewal hangs (a lock, a dead server): it may never return
    void beat();
  }, timing.heartbeatMs);
  ticker.unref();

  return {
    async claim(user, conn) {
      const r = await pool.query(
        `INSERT INTO receiver_leases AS l (username, node, conn, since) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO UPDATE SET node = EXCLUDED.node, conn = EXCLUDED.conn, since = EXCLUDED.since
         WHERE l.node = EXCLUDED.node
            OR NOT EXISTS (SELECT 1 FROM relay_nodes n WHERE n.node = l.node AND ${alive})
         RETURNING node`,
        [user, node, conn, Date.now()],
      );
      return r.rowCount === 1;
    },
    release(user, conn) {
      pool
        .query('DELETE FROM receiver_leases WHERE username = $1 AND node = $2 AND conn = $3', [user, node, conn])
        .catch((err: unknown) => hooks.log('cluster_release_failed', { error: (err as Error).message }));
    },
    async receivers(limit) {
      const r = await pool.query(
        `SELECT l.username FROM receiver_leases l JOIN relay_nodes n ON n.node = l.node
         WHERE ${alive} ORDER BY l.username LIMIT $1`,
        [limit],
      );
      return (r.rows as { username: string }[]).map((x) => x.username);
    },
    async isReceiving(user) {
      const r = await pool.query(
        `SELECT 1 FROM receiver_leases l JOIN relay_nodes n ON n.node = l.node
         WHERE l.username = $1 AND ${alive}`,
        [user],
      );
      return r.rowCount === 1;
    },
    async receivingAmong(users) {
      if (users.length === 0) return new Set();
      const r = await pool.query(
        `SELECT l.username FROM receiver_leases l JOIN relay_nodes n ON n.node = l.node
         WHERE l.username = ANY($1::text[]) AND ${alive}`,
        [users],
      );
      return new Set((r.rows as { username: string }[]).map((x) => x.username));
    },
    async census() {
      const r = await pool.query(
        `SELECT (SELECT count(*) FROM relay_nodes n WHERE ${alive})::int AS relays,
                (SELECT count(*) FROM receiver_leases l JOIN relay_nodes n ON n.node = l.node WHERE ${alive})::int
                  AS receiving`,
      );
      return r.rows[0] as Census;
    },
    fenced: () => fencedNow || stale() || !liveness.held(),
    async close() {
      closed = true;
      clearInterval(ticker);
      await pool.query('DELETE FROM receiver_leases WHERE node = $1', [node]).catch(() => {});
      await pool.query('DELETE FROM relay_nodes WHERE node = $1', [node]).catch(() => {});
      await liveness.close();
    },
  };
}
