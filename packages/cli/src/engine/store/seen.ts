/**
 * Schema v7: message ids this profile has seen but whose history it may not hold (restored from a backup, §13.2;
 * deleted for me; a v2 envelope that left no row of its own, a receipt or an edit, §24.3 step 8).
 * The backup carries no history, so without them an envelope the relay still holds, or is sent again under the same
 * id, would pass the duplicate check of §4 step 7 and show as new after `chat key import` (issue 14, finding 13).
 */
import type Database from 'better-sqlite3';

/** How far back a backup's seen ids reach: the relay's mailbox expiry (§11); older envelopes are gone from it. */
export const SEEN_WINDOW_MS = 30 * 24 * 3600 * 1000;
/** At most this many ids (the newest) go into a backup: 16 bytes each, so ~1 MB of base64 at worst (§13.2). */
export const MAX_SEEN_IDS = 50_000;
/**
 * How long a seen id is kept: the mailbox expiry plus a week's grace, as for replaced prekeys (§24.6). Past it the
 * relay holds no copy to deliver again, and a resend (§24.7) only ever brings back texts and replies, whose history
 * rows are the duplicate check. Without a bound the table grew by one row per receipt, edit or reaction for ever.
 */
export const SEEN_KEEP_MS = SEEN_WINDOW_MS + 7 * 24 * 3600 * 1000;

export class SeenIds {
  /** Prepared once: every received message asks (a drain of 10,000 spent 16 µs a message re-preparing it). */
  #has: Database.Statement | undefined;

  constructor(private readonly db: Database.Database) {}

  /** True if `id` (32 hex digits) was seen before a restore: a redelivery, to acknowledge and not show (§4 step 7). */
  has(id: string): boolean {
    this.#has ??= this.db.prepare('SELECT 1 FROM seen_ids WHERE id = ?');
    return this.#has.get(id) !== undefined;
  }

  /** Records ids from a backup (`chat key import`); `at` is when. */
  add(ids: readonly string[], at: number): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO seen_ids (id, seen_at) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const id of ids) insert.run(id, at);
    })();
  }

  /** Erases ids seen before `before` (ms); returns how many. */
  prune(before: number): number {
    return this.db.prepare('DELETE FROM seen_ids WHERE seen_at < ?').run(before).changes;
  }

  /**
   * The ids a backup taken at `now` carries: every message id committed (1:1 and group, received or rejected) or
   * restored within SEEN_WINDOW_MS, newest first, at most MAX_SEEN_IDS.
   */
  forBackup(now: number): string[] {
    return this.db
      .prepare(
        `SELECT id FROM (
           SELECT id, received_at AS at FROM messages WHERE direction = 'in'
           UNION ALL SELECT id, received_at FROM group_messages
           UNION ALL SELECT id, rejected_at FROM rejected
           UNION ALL SELECT id, seen_at FROM seen_ids)
         WHERE at >= ? GROUP BY id ORDER BY max(at) DESC LIMIT ?`,
      )
      .pluck()
      .all(now - SEEN_WINDOW_MS, MAX_SEEN_IDS) as string[];
  }
}
