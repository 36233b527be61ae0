/**
 * Schema v15 (issue 13 point 6, PROTOCOL.md §24.7): the rows recovery from a lost v2 session keeps. On the receiving
 * side, ids that failed for want of a session and await a resend, and the peers a request is open to; on the sending
 * side, the ids resent to each peer (at most once). Plain rows: the rules are engine/v2/recovery.ts's.
 */
import type { Statements } from './statements.js';

/** An outgoing 1:1 message as a resend needs it (§24.7, the sender's step 1). */
export interface Resendable {
  body: string;
  ts: number;
  replyTo: string | null;
}

export class RecoveryTable {
  constructor(private readonly sql: Statements) {}

  /** Records `id` as awaiting a resend from `peer` unless `max` ids already await one from it; true if recorded. */
  await(id: string, peer: string, now: number, max: number): boolean {
    const n = this.sql.get('SELECT count(*) FROM v2_awaiting WHERE peer = ?').pluck().get(peer) as number;
    if (n >= max) return false;
    return (
      this.sql.get('INSERT OR IGNORE INTO v2_awaiting (id, peer, failed_at) VALUES (?, ?, ?)').run(id, peer, now)
        .changes === 1
    );
  }

  /** True if `id` awaits a resend from `peer`: §24.3 step 4 lets it through. */
  awaits(id: string, peer: string): boolean {
    return this.sql.get('SELECT 1 FROM v2_awaiting WHERE id = ? AND peer = ?').get(id, peer) !== undefined;
  }

  /** An envelope under `id` from `peer` decrypted: it awaits nothing more. */
  arrived(id: string, peer: string): void {
    this.sql.get('DELETE FROM v2_awaiting WHERE id = ? AND peer = ?').run(id, peer);
  }

  /** Peers with ids not asked for yet and no request open. */
  peersToAsk(): string[] {
    return this.sql
      .get(
        `SELECT DISTINCT peer FROM v2_awaiting WHERE asked_at IS NULL
           AND peer NOT IN (SELECT peer FROM v2_requests_open) ORDER BY peer`,
      )
      .pluck()
      .all() as string[];
  }

  /** Up to `limit` of `peer`'s ids not asked for yet, oldest first, marked asked; the peer's request is open. */
  ask(peer: string, limit: number, now: number): string[] {
    const ids = this.sql
      .get('SELECT id FROM v2_awaiting WHERE peer = ? AND asked_at IS NULL ORDER BY failed_at, rowid LIMIT ?')
      .pluck()
      .all(peer, limit) as string[];
    const mark = this.sql.get('UPDATE v2_awaiting SET asked_at = ? WHERE id = ?');
    for (const id of ids) mark.run(now, id);
    this.sql.get('INSERT OR REPLACE INTO v2_requests_open (peer, asked_at) VALUES (?, ?)').run(peer, now);
    return ids;
  }

  /** A message from `peer` decrypted: its open request (if any) is answered. */
  answered(peer: string): void {
    this.sql.get('DELETE FROM v2_requests_open WHERE peer = ?').run(peer);
  }

  /**
   * The request naming `ids` to `peer` was dropped unsent (no prekeys to seal it, §24.7 receiver step 3): it asked
   * nothing, so the ids are not asked for yet and no request is open; the next batch that asks sends them again.
   */
  dropped(peer: string, ids: readonly string[]): void {
    this.sql.get('DELETE FROM v2_requests_open WHERE peer = ?').run(peer);
    const unask = this.sql.get('UPDATE v2_awaiting SET asked_at = NULL WHERE id = ? AND peer = ?');
    for (const id of ids) unask.run(id, peer);
  }

  /**
   * Our outgoing 1:1 message `id` to `peer` as first sent (the original text if it was edited), if the history holds
   * it, not deleted, not queued, not failed (the relay refused it: `peer` was never sent it, though the relay knows
   * its id and can make `peer` ask for it), and it was never resent to `peer`.
   */
  resendable(id: string, peer: string): Resendable | undefined {
    const r = this.sql
      .get(
        `SELECT coalesce((SELECT body FROM message_versions WHERE msg = m.id AND seq = 0), m.body) AS body,
                m.ts, m.reply_to AS replyTo
           FROM messages m
          WHERE m.id = ? AND m.peer = ? AND m.direction = 'out' AND m.deleted = 0 AND m.state IS NOT 'failed'
            AND NOT EXISTS (SELECT 1 FROM outbox WHERE id = m.id)
            AND NOT EXISTS (SELECT 1 FROM v2_resent WHERE peer = m.peer AND id = m.id)`,
      )
      .get(id, peer) as Resendable | undefined;
    return r;
  }

  /** `id` was resent to `peer`: never again. */
  resent(id: string, peer: string, now: number): void {
    this.sql.get('INSERT OR IGNORE INTO v2_resent (peer, id, resent_at) VALUES (?, ?, ?)').run(peer, id, now);
  }

  /** Forgets awaited and resent ids older than `before` (§24.7 RECOVERY_KEEP). */
  sweep(before: number): void {
    this.sql.get('DELETE FROM v2_awaiting WHERE failed_at < ?').run(before);
    this.sql.get('DELETE FROM v2_resent WHERE resent_at < ?').run(before);
    this.sql.get('DELETE FROM v2_requests_open WHERE asked_at < ?').run(before);
  }
}
