/**
 * One PostgreSQL connection of a relay's own, kept up with backoff: the liveness lock (postgres-liveness.ts) and the
 * wake listener (postgres-listen.ts) each hold session state (a session-level advisory lock, a `LISTEN`) that a pooled
 * connection cannot, and that is gone with the connection. So each takes a dedicated `pg.Client`, runs its `setup`
 * step on it, and when that connection is lost reconnects (100 ms doubling to 5 s) and runs `setup` again.
 */
import pg from 'pg';
import { types } from './postgres-pool.js';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export interface KeptConnectionHooks {
  /** What makes the connection useful (`pg_advisory_lock`, `LISTEN`); run after every (re)connect. */
  setup(client: pg.Client): Promise<void>;
  /** The connection that had been set up is lost; a reconnect follows in `retryMs`. */
  onLost(error: string, retryMs: number): void;
  /** A reconnect (connect and `setup`) failed; the next follows in `retryMs`. */
  onRetryFailed?(error: string, retryMs: number): void;
  /** A reconnect succeeded: `setup` holds again. */
  onRestored(): void;
}

export interface KeptConnection {
  /** True while a connection on which `setup` succeeded is up. */
  held(): boolean;
  close(): Promise<void>;
}

/**
 * Connects and runs `hooks.setup`; resolves once it holds, then keeps it up until `close`.
 * @throws the connection or setup error when the first attempt fails (no retry then: the caller is starting up)
 */
export async function keepConnection(url: string, hooks: KeptConnectionHooks): Promise<KeptConnection> {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let backoff = RECONNECT_MIN_MS;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, types });
    const lost = (err?: Error) => {
      if (client !== c) return; // not set up yet (connect() handles it) or already replaced
      client = undefined;
      c.removeAllListeners('end');
      void c.end().catch(() => {});
      if (closed) return;
      hooks.onLost(err?.message ?? 'connection ended', backoff);
      schedule();
    };
    c.on('error', lost);
    c.on('end', () => lost());
    try {
      await c.connect();
      await hooks.setup(c);
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
      connect().then(
        () => {
          if (!closed) hooks.onRestored();
        },
        (err: unknown) => {
          backoff = Math.min(backoff * 2, RECONNECT_MAX_MS);
          if (closed) return;
          hooks.onRetryFailed?.((err as Error).message, backoff);
          schedule();
        },
      );
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
