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
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    c.release();
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    c.release(err instanceof Error ? err : undefined); // a broken connection is dropped, not reused
    throw err;
  }
}
