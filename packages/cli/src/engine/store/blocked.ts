/**
 * Schema v10 (issue 15): the users this profile has blocked. Nothing they send is stored or shown, and nothing (no
 * receipt, no typing signal, no message) goes to them while they are blocked (PROTOCOL.md §17.4, a client rule);
 * local only, the blocked user is not told.
 */
import { MessageKind, SENDER_KEY_REQUEST_KIND } from '@chat/crypto';
import type Database from 'better-sqlite3';
import type { Statements } from './statements.js';

/**
 * True for an outbox entry that goes to its peer alone and so never to a blocked one (§17.4): any 1:1 kind (0x01–0x0C)
 * and a sender key request (0x19, §25.9). A group's copy (it has a fan-out id) and a sender key distribution (0x18)
 * still go to a blocked member: a block does not remove them from a group.
 */
export function isDirect(entry: { kind: number; fanout?: string | undefined }): boolean {
  return entry.fanout === undefined && (entry.kind < MessageKind.groupText || entry.kind === SENDER_KEY_REQUEST_KIND);
}

export class BlockedTable {
  constructor(
    private readonly db: Database.Database,
    private readonly sql: Statements,
  ) {}

  /**
   * Blocks `user`, in one transaction; true if they were not blocked before. What is kept from them for a target or a
   * sender key (§17.6, §25.10, held.ts) goes: nothing from a blocked user is applied later. So do the delivery and
   * read receipts still queued for them (§17.4: no receipt goes to them). Everything else queued for them stays queued
   * and is held by the outbox sender (`isDirect`) until they are unblocked (`queuedFor` lists their texts).
   */
  block(user: string, now: number): boolean {
    return this.db
      .transaction((): boolean => {
        this.sql.get('DELETE FROM held_actions WHERE sender = ?').run(user);
        this.sql.get('DELETE FROM held_group_messages WHERE sender = ?').run(user);
        this.sql
          .get('DELETE FROM outbox WHERE peer = ? AND kind IN (?, ?) AND fanout IS NULL')
          .run(user, MessageKind.delivered, MessageKind.read);
        const inserted = this.sql
          .get('INSERT OR IGNORE INTO blocked (username, blocked_at) VALUES (?, ?)')
          .run(user, now);
        return inserted.changes === 1;
      })
      .immediate();
  }

  /** Unblocks `user`; true if they were blocked. What was held for them goes with the next pass of the outbox. */
  unblock(user: string): boolean {
    return this.sql.get('DELETE FROM blocked WHERE username = ?').run(user).changes === 1;
  }

  /** The ids of our texts and replies to `user` still queued (not yet stored by the relay), oldest first. */
  queuedFor(user: string): string[] {
    return this.sql
      .get(
        `SELECT o.id FROM outbox o JOIN messages m ON m.id = o.id
          WHERE o.peer = ? AND o.fanout IS NULL AND m.direction = 'out' AND m.state = 'queued' ORDER BY o.seq`,
      )
      .pluck()
      .all(user) as string[];
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
