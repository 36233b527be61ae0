import type Database from 'better-sqlite3';
import type { PrekeyTypeByte } from '@chat/protocol';
import {
  isOneTime,
  type PrekeyCaps,
  type PrekeyCounts,
  type PrekeyStore,
  type PublishOutcome,
  type StoredPrekey,
  type TakenPrekeys,
} from './prekeys.js';

/**
 * Schema version 6 adds the prekey directory (PROTOCOL.md §23.8). `seq` is the upload order (one-time keys go out
 * oldest first); the owner's account row owns its prekeys, so deleting an account deletes them in the same
 * transaction (`foreign_keys` is on).
 */
export const PREKEYS_SCHEMA = `
CREATE TABLE prekeys (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  owner TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
  type INTEGER NOT NULL CHECK (type BETWEEN 1 AND 4),
  key_id INTEGER NOT NULL,
  key BLOB NOT NULL,
  sig BLOB NOT NULL,
  UNIQUE (owner, type, key_id)
) STRICT;
CREATE INDEX prekeys_queue ON prekeys (owner, type, seq);
`;

interface Row {
  seq: number;
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

/** Rolls a publish transaction back (better-sqlite3 rolls back on a throw). */
class OverLimit extends Error {}

/** SQLite implementation of PrekeyStore on the relay's database handle (synchronous inside each call). */
export class SqlitePrekeyStore implements PrekeyStore {
  private readonly stmt;
  private readonly publishTx: (
    owner: string,
    entries: readonly StoredPrekey[],
    reset: boolean,
    caps: PrekeyCaps,
  ) => PublishOutcome;
  private readonly takeTx: (owner: string, oneTime: boolean) => TakenPrekeys | undefined;

  constructor(db: Database.Database) {
    this.stmt = {
      hasUser: db.prepare('SELECT 1 FROM users WHERE username = ?').pluck(),
      deleteOneTime: db.prepare('DELETE FROM prekeys WHERE owner = ? AND type IN (2, 4)'),
      deleteType: db.prepare('DELETE FROM prekeys WHERE owner = ? AND type = ?'),
      insert: db.prepare('INSERT OR IGNORE INTO prekeys (owner, type, key_id, key, sig) VALUES (?, ?, ?, ?, ?)'),
      counts: db.prepare('SELECT type, count(*) AS n, min(key_id) AS id FROM prekeys WHERE owner = ? GROUP BY type'),
      oldest: db.prepare('SELECT * FROM prekeys WHERE owner = ? AND type = ? ORDER BY seq LIMIT 1'),
      deleteSeq: db.prepare('DELETE FROM prekeys WHERE seq = ?'),
      removeAll: db.prepare('DELETE FROM prekeys WHERE owner = ?'),
    };
    this.publishTx = db.transaction((owner, entries, reset, caps): PublishOutcome => {
      if (this.stmt.hasUser.get(owner) === undefined) return 'unknown_owner';
      if (reset) this.stmt.deleteOneTime.run(owner);
      for (const e of entries) {
        if (!isOneTime(e.type)) this.stmt.deleteType.run(owner, e.type);
        this.stmt.insert.run(owner, e.type, e.keyId, e.key, e.sig);
      }
      const counts = this.countsNow(owner);
      if (counts.opk > caps.maxOpk || counts.pqopk > caps.maxPqopk) throw new OverLimit();
      return { counts };
    });
    this.takeTx = db.transaction((owner: string, oneTime: boolean): TakenPrekeys | undefined => {
      const spk = this.stmt.oldest.get(owner, 1) as Row | undefined;
      const pqspk = this.stmt.oldest.get(owner, 3) as Row | undefined;
      if (!spk || !pqspk) return undefined;
      const opk = oneTime ? this.takeOldest(owner, 2) : undefined;
      const pqopk = oneTime ? this.takeOldest(owner, 4) : undefined;
      const c = this.countsNow(owner);
      return {
        spk: toPrekey(spk),
        ...(opk ? { opk: toPrekey(opk) } : {}),
        pq: toPrekey(pqopk ?? pqspk),
        left: { opk: c.opk, pqopk: c.pqopk },
      };
    });
  }

  private takeOldest(owner: string, type: 2 | 4): Row | undefined {
    const row = this.stmt.oldest.get(owner, type) as Row | undefined;
    if (row) this.stmt.deleteSeq.run(row.seq);
    return row;
  }

  private countsNow(owner: string): PrekeyCounts {
    const c: PrekeyCounts = { opk: 0, pqopk: 0 };
    for (const r of this.stmt.counts.all(owner) as { type: number; n: number; id: number }[]) {
      if (r.type === 1) c.spkId = r.id;
      else if (r.type === 2) c.opk = r.n;
      else if (r.type === 3) c.pqspkId = r.id;
      else c.pqopk = r.n;
    }
    return c;
  }

  async publish(
    owner: string,
    entries: readonly StoredPrekey[],
    reset: boolean,
    caps: PrekeyCaps,
  ): Promise<PublishOutcome> {
    try {
      return this.publishTx(owner, entries, reset, caps);
    } catch (err) {
      if (err instanceof OverLimit) return 'over_limit';
      throw err;
    }
  }

  async take(owner: string, oneTime: boolean): Promise<TakenPrekeys | undefined> {
    return this.takeTx(owner, oneTime);
  }

  async counts(owner: string): Promise<PrekeyCounts> {
    return this.countsNow(owner);
  }

  async remove(owner: string): Promise<void> {
    this.stmt.removeAll.run(owner);
  }
}
