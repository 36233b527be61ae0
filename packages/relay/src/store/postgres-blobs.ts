/**
 * File blobs (PROTOCOL.md §16.4) in PostgreSQL (issue 17): metadata in `blobs`, each sealed chunk a `bytea` row of
 * `blob_chunks`, so every relay on the database can serve every upload. The checks are rules.ts's, as for the files
 * of the data directory. A sender's `blob_new`s are serialised (an advisory lock on the owner, across relays), so the
 * per-sender limits hold exactly; a `blob_put` locks its blob's row, so chunks of one upload land one at a time.
 */
import type pg from 'pg';
import {
  type BlobLimits,
  type BlobMeta,
  type Blobs,
  SEALED_CHUNK,
  checkChunk,
  checkNewBlob,
  checkQuota,
  checkReader,
  resumeBlob,
} from '../blobs/rules.js';
import { buf, transaction } from './postgres-pool.js';

interface Row {
  bid: string;
  owner: string;
  recipient: string;
  size: number;
  chunks: number;
  created_at: number;
  have: number;
  completed_at: number | null;
}

const COLUMNS = 'bid, owner, recipient, size, chunks, created_at, have, completed_at';

function toMeta(r: Row | undefined): BlobMeta | undefined {
  if (!r) return undefined;
  return {
    bid: r.bid,
    owner: r.owner,
    to: r.recipient,
    size: r.size,
    chunks: r.chunks,
    createdAt: r.created_at,
    have: r.have,
    ...(r.completed_at === null ? {} : { completedAt: r.completed_at }),
  };
}

export class PgBlobs implements Blobs {
  constructor(
    private readonly pool: pg.Pool,
    readonly limits: BlobLimits,
  ) {}

  private async get(c: pg.Pool | pg.PoolClient, bid: string, lock = false): Promise<BlobMeta | undefined> {
    const r = await c.query(`SELECT ${COLUMNS} FROM blobs WHERE bid = $1${lock ? ' FOR UPDATE' : ''}`, [bid]);
    return toMeta(r.rows[0] as Row | undefined);
  }

  async create(owner: string, bid: string, to: string, size: number, chunks: number, now: number): Promise<number> {
    checkNewBlob(this.limits, size, chunks);
    return transaction(this.pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('blob-owner:' || $1))", [owner]);
      const old = await this.get(c, bid);
      if (old) return resumeBlob(old, owner, to, size, chunks);
      const u = (
        await c.query(
          `SELECT count(*) AS count, count(*) FILTER (WHERE completed_at IS NULL) AS uploading,
             coalesce(sum(size), 0)::bigint AS bytes FROM blobs WHERE owner = $1`,
          [owner],
        )
      ).rows[0] as { count: number; uploading: number; bytes: number };
      checkQuota(this.limits, u, size);
      await c.query(
        'INSERT INTO blobs (bid, owner, recipient, size, chunks, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [bid, owner, to, size, chunks, now],
      );
      return 0;
    });
  }

  put(owner: string, bid: string, n: number, data: Uint8Array, now: number): Promise<number> {
    return transaction(this.pool, async (c) => {
      const m = await this.get(c, bid, true);
      checkChunk(m, owner, n, data);
      const last = n === m.chunks - 1;
      await c.query('INSERT INTO blob_chunks (bid, n, data) VALUES ($1, $2, $3)', [bid, n, buf(data)]);
      await c.query('UPDATE blobs SET have = $2, completed_at = $3 WHERE bid = $1', [bid, n + 1, last ? now : null]);
      return n + 1;
    });
  }

  async forRecipient(user: string, bid: string, ownerToo = false): Promise<BlobMeta> {
    return checkReader(await this.get(this.pool, bid), user, ownerToo);
  }

  async readChunk(m: BlobMeta, n: number): Promise<Uint8Array> {
    const r = await this.pool.query('SELECT data FROM blob_chunks WHERE bid = $1 AND n = $2', [m.bid, n]);
    const data = (r.rows[0] as { data: Buffer } | undefined)?.data;
    const len = n === m.chunks - 1 ? m.size - n * SEALED_CHUNK : SEALED_CHUNK;
    if (data?.length !== len) throw new Error(`blob ${m.bid} has no chunk ${n} of ${len} bytes`);
    return data;
  }

  async has(bid: string): Promise<boolean> {
    return (await this.pool.query('SELECT 1 FROM blobs WHERE bid = $1', [bid])).rowCount === 1;
  }

  async delete(bid: string): Promise<void> {
    await this.pool.query('DELETE FROM blobs WHERE bid = $1', [bid]);
  }

  async expire(now: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM blobs WHERE (completed_at IS NULL AND $1 - created_at > $2) OR
         (completed_at IS NOT NULL AND $1 - completed_at > $3)`,
      [now, this.limits.incompleteTtlMs, this.limits.completeTtlMs],
    );
    return r.rowCount ?? 0;
  }

  async totals(): Promise<{ blobs: number; bytes: number }> {
    const r = await this.pool.query('SELECT count(*) AS blobs, coalesce(sum(size), 0)::bigint AS bytes FROM blobs');
    return r.rows[0] as { blobs: number; bytes: number };
  }

  /** The pool is the mailbox store's, closed with it. */
  async close(): Promise<void> {}
}
