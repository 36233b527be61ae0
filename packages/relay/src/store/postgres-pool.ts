/** What every PostgreSQL store file shares: the connection pool's type parsing, bytea parameters, transactions. */
import pg from 'pg';

const INT8 = 20;
/** `bigint` columns hold milliseconds and counts, all far below 2^53: read them as numbers, not strings. */
export const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Runs `fn` in one transaction on one connection of `pool`; the result only after COMMIT has returned. */
export async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await checkOut(pool);
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    checkIn(c);
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    checkIn(c, err instanceof Error ? err : undefined); // a broken connection is dropped, not reused
    throw err;
  }
}

const ignore = () => {};

/**
 * A client of `pool` for several statements. The pool listens for errors only on idle clients: a connection that
 * breaks between two statements of a checked-out one (the server killed) would otherwise be an unhandled 'error'
 * event, which ends the process. The statement in flight, or the next one, fails instead.
 */
export async function checkOut(pool: pg.Pool): Promise<pg.PoolClient> {
  const c = await pool.connect();
  c.on('error', ignore);
  return c;
}

/** Gives back a client of `checkOut`; with `err`, the pool drops it instead of reusing it. */
export function checkIn(c: pg.PoolClient, err?: Error): void {
  c.off('error', ignore);
  c.release(err);
}
