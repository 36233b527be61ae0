/** The envelopes rejected on receipt (§4 steps 1–6), by id, so a redelivery is recognised and the user can see why. */
import type { Statements } from './statements.js';
import type { RejectedEnvelope } from './types.js';

export class RejectedTable {
  constructor(private readonly sql: Statements) {}

  /** Records a rejected envelope (§4 steps 1–6); true if it was not recorded before. */
  add(r: RejectedEnvelope): boolean {
    const info = this.sql
      .get('INSERT OR IGNORE INTO rejected (id, reason, relay_ts, rejected_at) VALUES (?, ?, ?, ?)')
      .run(r.id, r.reason, r.relayTs, r.rejectedAt);
    return info.changes === 1;
  }

  list(): RejectedEnvelope[] {
    const rows = this.sql.get('SELECT * FROM rejected ORDER BY rejected_at, rowid').all() as {
      id: string;
      reason: string;
      relay_ts: number | null;
      rejected_at: number;
    }[];
    return rows.map((r) => ({ id: r.id, reason: r.reason, relayTs: r.relay_ts, rejectedAt: r.rejected_at }));
  }
}
