/**
 * Schema v11 (issue 15, PROTOCOL.md §17.5): disappearing messages. Each conversation's timer, and the sweep that
 * removes what expired — message rows with their versions and reactions, their outbox entries if still queued, file
 * rows — from the database. The schema's
 * triggers stamp `expires_at` on every row inserted while a timer is on; the rules (who may set a timer, which of two
 * settings wins) are engine/expire/.
 */
import { rmSync } from 'node:fs';
import { MessageKind } from '@chat/crypto';
import type Database from 'better-sqlite3';
import { HELD_NEXT_EXPIRY_SQL, sweepHeld } from './held.js';

/** A conversation's timer: `seconds` 0 is off. `setTs`/`setBy` order concurrent settings (§17.5). */
export interface Timer {
  conv: string;
  seconds: number;
  setBy: string;
  /** The setting's signed `ts` (the sender's clock), which orders two settings. */
  setTs: number;
  /** When this client applied it. */
  setAt: number;
}

/** What one sweep removed. */
export interface Expired {
  /** Message ids with their conversation (a peer, `#<gid>`). */
  messages: { id: string; conv: string }[];
  /** Files: the transfer, and for a received file the path it was saved at (deleted by the sweep). */
  files: { blob: string; peer: string; path: string | null }[];
}

const TABLES = ['messages', 'group_messages'] as const;

/** Edit, delete and reaction kinds (§17.1): 1:1 bodies start with the target, group bodies with `gid` ‖ target. */
const DIRECT_ACTIONS = [MessageKind.edit, MessageKind.delete, MessageKind.reaction].join(', ');
const GROUP_ACTIONS = [MessageKind.groupEdit, MessageKind.groupDelete, MessageKind.groupReaction].join(', ');

/**
 * §17.5: an edit, delete or reaction still queued for an expiring message goes with it (it modifies the message, and
 * the recipients must not get an action on a message that is gone): its outbox entries (every recipient's copy) are
 * deleted. 1:1, matched by peer and target id; group, by `gid` ‖ reference. A reply is a message: it stays.
 */
function dropQueuedActions(db: Database.Database, r: { id: string; conv: string; ref: string | null }): void {
  if (!r.conv.startsWith('#')) {
    db.prepare(`DELETE FROM outbox WHERE peer = ? AND kind IN (${DIRECT_ACTIONS}) AND substr(body, 1, 16) = ?`).run(
      r.conv,
      Buffer.from(r.id, 'hex'),
    );
  } else if (r.ref !== null) {
    const key = Buffer.from(r.conv.slice(1) + r.ref, 'hex');
    db.prepare(`DELETE FROM outbox WHERE kind IN (${GROUP_ACTIONS}) AND substr(body, 1, 32) = ?`).run(key);
  }
}

export class TimerTable {
  constructor(private readonly db: Database.Database) {}

  get(conv: string): Timer | undefined {
    return this.db
      .prepare('SELECT conv, seconds, set_by AS setBy, set_ts AS setTs, set_at AS setAt FROM timers WHERE conv = ?')
      .get(conv) as Timer | undefined;
  }

  /** Every timer set (off ones included: they still order later settings). */
  all(): Timer[] {
    return this.db
      .prepare('SELECT conv, seconds, set_by AS setBy, set_ts AS setTs, set_at AS setAt FROM timers ORDER BY conv')
      .all() as Timer[];
  }

  set(t: Timer): void {
    this.db
      .prepare(
        `INSERT INTO timers (conv, seconds, set_by, set_ts, set_at) VALUES (@conv, @seconds, @setBy, @setTs, @setAt)
         ON CONFLICT (conv) DO UPDATE SET seconds = excluded.seconds, set_by = excluded.set_by,
           set_ts = excluded.set_ts, set_at = excluded.set_at`,
      )
      .run(t);
  }

  /** The earliest `expires_at` still in the database, if any (served by the `*_expiring` indexes). */
  nextExpiry(): number | undefined {
    const r = this.db
      .prepare(
        `SELECT min(t) AS t FROM (SELECT min(expires_at) AS t FROM messages WHERE expires_at IS NOT NULL
           UNION ALL SELECT min(expires_at) FROM group_messages WHERE expires_at IS NOT NULL
           UNION ALL SELECT min(expires_at) FROM files WHERE expires_at IS NOT NULL
           UNION ALL ${HELD_NEXT_EXPIRY_SQL})`,
      )
      .get() as { t: number | null };
    return r.t ?? undefined;
  }

  /**
   * Removes every row whose `expires_at` is at or before `now`, in one transaction: the messages, their versions and
   * reactions, and file rows. Their ids join the seen ids (as a delete for me does), so a redelivery stays gone.
   */
  sweep(now: number): Expired {
    const out: Expired = { messages: [], files: [] };
    const next = this.nextExpiry();
    if (next === undefined || next > now) return out; // nothing due: no write lock taken
    this.db
      .transaction(() => {
        for (const table of TABLES) {
          const col = table === 'messages' ? 'peer' : 'conv';
          const ref = table === 'messages' ? 'NULL' : 'ref';
          const rows = this.db
            .prepare(
              `SELECT id, ${col} AS conv, ${ref} AS ref FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`,
            )
            .all(now) as { id: string; conv: string; ref: string | null }[];
          if (rows.length === 0) continue;
          const versions = this.db.prepare('DELETE FROM message_versions WHERE msg = ?');
          const reactions = this.db.prepare('DELETE FROM reactions WHERE msg = ?');
          const seen = this.db.prepare('INSERT OR IGNORE INTO seen_ids (id, seen_at) VALUES (?, ?)');
          // Still queued (the relay unreachable): never sent now. A group send's entries share its fanout.
          const fanout = this.db.prepare(
            'DELETE FROM outbox WHERE fanout IN (SELECT fanout FROM outbox WHERE id = ? AND fanout IS NOT NULL)',
          );
          const queued = this.db.prepare('DELETE FROM outbox WHERE id = ?');
          for (const r of rows) {
            versions.run(r.id);
            reactions.run(r.id);
            seen.run(r.id, now);
            fanout.run(r.id);
            queued.run(r.id);
            dropQueuedActions(this.db, r);
          }
          this.db.prepare(`DELETE FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`).run(now);
          out.messages.push(...rows.map(({ id, conv }) => ({ id, conv })));
        }
        out.files = this.db
          .prepare(
            `SELECT blob, peer, CASE WHEN direction = 'in' THEN path END AS path FROM files
             WHERE expires_at IS NOT NULL AND expires_at <= ?`,
          )
          .all(now) as Expired['files'];
        if (out.files.length > 0)
          this.db.prepare('DELETE FROM files WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now);
        // §17.6, §25.10: what was kept for a target or a sender key expires too (the mailbox expiry or the timer).
        sweepHeld(this.db, now);
      })
      .immediate();
    // A received file goes with its offer: the copy this client saved is deleted once the rows are (§17.5).
    for (const f of out.files) if (f.path) rmSync(f.path, { force: true });
    return out;
  }
}
