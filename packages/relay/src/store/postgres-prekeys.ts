import type pg from 'pg';
import type { PrekeyTypeByte } from '@chat/protocol';
import { buf, transaction } from './postgres-pool.js';
import type { PrekeyCaps, PrekeyCounts, PrekeyStore, PublishOutcome, StoredPrekey, TakenPrekeys } from './prekeys.js';

/**
 * The prekey directory (PROTOCOL.md §23.8), as on SQLite (sqlite-prekeys.ts). Created with `IF NOT EXISTS` at every
 * start like the rest of the schema (postgres-schema.ts), so a database made before prekeys gains the table.
 */
export const PG_PREKEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS prekeys (
  seq bigserial PRIMARY KEY,
  owner text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  type smallint NOT NULL CHECK (type BETWEEN 1 AND 4),
  key_id bigint NOT NULL,
  key bytea NOT NULL,
  sig bytea NOT NULL,
  UNIQUE (owner, type, key_id)
);
CREATE INDEX IF NOT EXISTS prekeys_queue ON prekeys (owner, type, seq);
`;

interface Row {
  type: PrekeyTypeByte;
  key_id: number;
  key: Buffer;
  sig: Buffer;
}

const toPrekey = (r: Row): StoredPrekey => ({
  type: r.type,
  keyId: r.key_id,
  key: new Uint8Array(r.key),
  sig: new Uint8Array(r.sig),
});

async function countsOf(q: pg.Pool | pg.PoolClient, owner: string): Promise<PrekeyCounts> {
  const r = await q.query('SELECT type, count(*) AS n, min(key_id) AS id FROM prekeys WHERE owner = $1 GROUP BY type', [
    owner,
  ]);
  const c: PrekeyCounts = { opk: 0, pqopk: 0 };
  for (const row of r.rows as { type: number; n: number; id: number }[]) {
    if (row.type === 1) c.spkId = row.id;
    else if (row.type === 2) c.opk = row.n;
    else if (row.type === 3) c.pqspkId = row.id;
    else c.pqopk = row.n;
  }
  return c;
}

/** PostgreSQL implementation of PrekeyStore, on the mailbox store's pool. */
export class PgPrekeyStore implements PrekeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async publish(
    owner: string,
    entries: readonly StoredPrekey[],
    reset: boolean,
    caps: PrekeyCaps,
  ): Promise<PublishOutcome> {
    return transaction(this.pool, async (c): Promise<PublishOutcome> => {
      // The owner's row lock serialises its publishes, so the cap check below counts every concurrent batch.
      const u = await c.query('SELECT 1 FROM users WHERE username = $1 FOR NO KEY UPDATE', [owner]);
      if (u.rowCount !== 1) return 'unknown_owner';
      // Over the caps, the batch is undone back to here (and the connection kept, unlike a failed transaction's).
      await c.query('SAVEPOINT batch');
      if (reset) await c.query('DELETE FROM prekeys WHERE owner = $1 AND type IN (2, 4)', [owner]);
      for (const e of entries.filter((x) => x.type === 1 || x.type === 3)) {
        await c.query('DELETE FROM prekeys WHERE owner = $1 AND type = $2', [owner, e.type]);
      }
      if (entries.length > 0) {
        // One statement for the whole batch; a stored (type, id) is skipped (§23.3 step 6).
        await c.query(
          `INSERT INTO prekeys (owner, type, key_id, key, sig)
             SELECT $1, t, i, k, s FROM unnest($2::smallint[], $3::bigint[], $4::bytea[], $5::bytea[]) AS e (t, i, k, s)
             ON CONFLICT (owner, type, key_id) DO NOTHING`,
          [
            owner,
            entries.map((e) => e.type),
            entries.map((e) => e.keyId),
            entries.map((e) => buf(e.key)),
            entries.map((e) => buf(e.sig)),
          ],
        );
      }
      const counts = await countsOf(c, owner);
      if (counts.opk > caps.maxOpk || counts.pqopk > caps.maxPqopk) {
        await c.query('ROLLBACK TO SAVEPOINT batch');
        return 'over_limit';
      }
      return { counts };
    });
  }

  async take(owner: string, oneTime: boolean): Promise<TakenPrekeys | undefined> {
    return transaction(this.pool, async (c) => {
      const signed = (
        await c.query('SELECT type, key_id, key, sig FROM prekeys WHERE owner = $1 AND type IN (1, 3)', [owner])
      ).rows as Row[];
      const spk = signed.find((r) => r.type === 1);
      const pqspk = signed.find((r) => r.type === 3);
      if (!spk || !pqspk) return undefined;
      const opk = oneTime ? await takeOldest(c, owner, 2) : undefined;
      const pqopk = oneTime ? await takeOldest(c, owner, 4) : undefined;
      const left = await countsOf(c, owner);
      return {
        spk: toPrekey(spk),
        ...(opk ? { opk: toPrekey(opk) } : {}),
        pq: toPrekey(pqopk ?? pqspk),
        left: { opk: left.opk, pqopk: left.pqopk },
      };
    });
  }

  async counts(owner: string): Promise<PrekeyCounts> {
    return countsOf(this.pool, owner);
  }

  async remove(owner: string): Promise<void> {
    await this.pool.query('DELETE FROM prekeys WHERE owner = $1', [owner]);
  }
}

/**
 * Deletes and returns the owner's oldest one-time key of `type`. SKIP LOCKED: a concurrent fetcher that has locked
 * the oldest key makes this one take the next, never the same one, and never wait to find it gone.
 */
async function takeOldest(c: pg.PoolClient, owner: string, type: 2 | 4): Promise<Row | undefined> {
  const r = await c.query(
    `DELETE FROM prekeys WHERE seq = (
       SELECT seq FROM prekeys WHERE owner = $1 AND type = $2 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED
     ) RETURNING type, key_id, key, sig`,
    [owner, type],
  );
  return r.rows[0] as Row | undefined;
}
