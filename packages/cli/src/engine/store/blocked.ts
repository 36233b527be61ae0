/**
 * Schema v10 (issue 15): the users this profile has blocked. Nothing they send is stored or shown, and nothing (no
 * receipt, no typing signal, no message) goes back to them (PROTOCOL.md §17.4, a client rule); local only, the blocked
 * user is not told.
 */
import { MessageKind } from '@chat/crypto';
import type { Statements } from './statements.js';

export class BlockedTable {
  constructor(private readonly sql: Statements) {}

  /**
   * Blocks `user`; true if they were not blocked before. What is kept from them for a target or a sender key
   * (§17.6, §25.10, held.ts) goes too: nothing from a blocked user is applied later. So do the delivery and read
   * receipts still queued for them (§17.4: no receipt goes back), queued before the block and not sent yet.
   */
  block(user: string, now: number): boolean {
    this.sql.get('DELETE FROM held_actions WHERE sender = ?').run(user);
    this.sql.get('DELETE FROM held_group_messages WHERE sender = ?').run(user);
    this.sql
      .get('DELETE FROM outbox WHERE peer = ? AND kind IN (?, ?) AND fanout IS NULL')
      .run(user, MessageKind.delivered, MessageKind.read);
    return (
      this.sql.get('INSERT OR IGNORE INTO blocked (username, blocked_at) VALUES (?, ?)').run(user, now).changes === 1
    );
  }

  /** Unblocks `user`; true if they were blocked. */
  unblock(user: string): boolean {
    return this.sql.get('DELETE FROM blocked WHERE username = ?').run(user).changes === 1;
  }

  has(user: string): boolean {
    return this.sql.get('SELECT 1 FROM blocked WHERE username = ?').get(user) !== undefined;
  }

  /** Every blocked user, by name. */
  list(): { username: string; blockedAt: number }[] {
    return this.sql.get('SELECT username, blocked_at AS blockedAt FROM blocked ORDER BY username').all() as {
      username: string;
      blockedAt: number;
    }[];
  }
}
