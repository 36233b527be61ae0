/**
 * Schema v10 (issue 15): the users this profile has blocked. Nothing they send is stored or shown, and nothing (no
 * receipt, no typing signal, no message) goes back to them (PROTOCOL.md §17.4, a client rule); local only, the blocked
 * user is not told.
 */
import { MessageKind } from '@chat/crypto';
import type Database from 'better-sqlite3';
import type { RecoveryTable } from './recovery.js';
import type { Statements } from './statements.js';

/**
 * The kinds that only ever go to one user as a 1:1 envelope (§17.4: none goes to a blocked user). Group kinds
 * (0x10–0x17) and sender key distributions (0x18) still go to a blocked member: a block does not remove them from a
 * group.
 */
const DIRECT_KINDS = [
  MessageKind.text,
  MessageKind.delivered,
  MessageKind.read,
  MessageKind.fileOffer,
  MessageKind.fileAnswer,
  MessageKind.reply,
  MessageKind.edit,
  MessageKind.delete,
  MessageKind.reaction,
  MessageKind.timer,
  MessageKind.resendRequest,
];
const DIRECT = `peer = ? AND fanout IS NULL AND kind IN (${DIRECT_KINDS.join(', ')})`;

export interface BlockResult {
  /** False if the user was blocked already. */
  changed: boolean;
  /**
   * Our texts and replies to the user that were still queued (not yet stored by the relay): never sent now, their
   * state `failed` (§4.1). Ids, oldest first.
   */
  unsent: string[];
}

export class BlockedTable {
  constructor(
    private readonly db: Database.Database,
    private readonly sql: Statements,
    private readonly recovery: Pick<RecoveryTable, 'dropped'>,
  ) {}

  /**
   * Blocks `user`. What is kept from them for a target or a sender key (§17.6, §25.10, held.ts) goes: nothing from a
   * blocked user is applied later. So does every 1:1 envelope still queued for them (§17.4: nothing goes back),
   * queued before the block and not sent yet: receipts, edits, deletes, reactions, timers, file offers and answers,
   * resend requests (whose ids count as not asked, as for any request dropped unsent, §24.7), and texts and replies,
   * which are marked `failed` in the history. Their group copies stay queued. One transaction.
   */
  block(user: string, now: number): BlockResult {
    return this.db.transaction((): BlockResult => {
      this.sql.get('DELETE FROM held_actions WHERE sender = ?').run(user);
      this.sql.get('DELETE FROM held_group_messages WHERE sender = ?').run(user);
      const queued = this.sql.get(`SELECT id, kind, body FROM outbox WHERE ${DIRECT} ORDER BY seq`).all(user) as {
        id: string;
        kind: number;
        body: Buffer;
      }[];
      for (const q of queued) if (q.kind === MessageKind.resendRequest) this.recovery.dropped(user, q.body);
      this.sql.get(`DELETE FROM outbox WHERE ${DIRECT}`).run(user);
      const fail = this.sql.get(
        "UPDATE messages SET state = 'failed' WHERE id = ? AND peer = ? AND direction = 'out' AND state = 'queued'",
      );
      const unsent = queued.filter((q) => fail.run(q.id, user).changes === 1).map((q) => q.id);
      const changed =
        this.sql.get('INSERT OR IGNORE INTO blocked (username, blocked_at) VALUES (?, ?)').run(user, now).changes === 1;
      return { changed, unsent };
    })();
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
