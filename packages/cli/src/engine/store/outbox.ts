/**
 * Schema v2 of the local store: the durable outbox, delivery / read state per message, and per-conversation
 * settings. The outbox holds what is to be sent, in order, with the message id chosen when it was queued: a resend
 * after a lost `sent` reuses the id, and the relay stores idempotently on (recipient, id) (PROTOCOL.md §9), so the
 * recipient never sees it twice. Since schema v6 an entry also keeps its envelope, sealed once: a retry resends the
 * same bytes (send/outbox-sender.ts).
 */
import type Database from 'better-sqlite3';
import type { Statements } from './statements.js';
import type { MessageState, StoredMessage } from './types.js';

/** An envelope waiting to be sent (text, receipt, file offer or answer; typing is never queued). */
export interface OutboxEntry {
  id: string;
  peer: string;
  /** The §4 kind byte. */
  kind: number;
  body: Uint8Array;
  ts: number;
  /**
   * The sealed envelope, sealed once (at enqueue if the peer's key was pinned and usable, else at the first send
   * attempt, stored before it is sent): every retry sends exactly these bytes. Absent until then (and in rows from
   * schema v5).
   */
  env?: Uint8Array | undefined;
  /** The encryption public key `env` was sealed to. */
  sealedTo?: Uint8Array | undefined;
  /** The group send this entry is one recipient's copy of: such entries go out together in `fanout` frames (§15.2). */
  fanout?: string | undefined;
  /**
   * A group message encrypted once with our sender key (PROTOCOL.md §25.4, schema v14): this copy is sealed as
   * `0x03 ‖ seal(groupMsg)` to the member, not encrypted again.
   */
  groupMsg?: Uint8Array | undefined;
}

type Row = {
  id: string;
  peer: string;
  kind: number;
  body: Buffer;
  ts: number;
  env: Buffer | null;
  sealed_to: Buffer | null;
  fanout: string | null;
  group_msg: Buffer | null;
};
const COLUMNS = 'id, peer, kind, body, ts, env, sealed_to, fanout, group_msg';
const toEntry = (r: Row): OutboxEntry => ({
  id: r.id,
  peer: r.peer,
  kind: r.kind,
  body: new Uint8Array(r.body),
  ts: r.ts,
  ...(r.env && r.sealed_to ? { env: new Uint8Array(r.env), sealedTo: new Uint8Array(r.sealed_to) } : {}),
  ...(r.fanout === null ? {} : { fanout: r.fanout }),
  ...(r.group_msg === null ? {} : { groupMsg: new Uint8Array(r.group_msg) }),
});
const blob = (b: Uint8Array | undefined): Buffer | null => (b ? Buffer.from(b) : null);

export interface ConversationSummary {
  peer: string;
  unread: number;
  /** When this client committed the newest message either way (received_at, never the sender's ts). */
  lastTs: number;
  muted: boolean;
  /** When we last saw the peer online or heard from them (ms), as this client observed it. */
  lastSeen: number | null;
}

/** Forward-only order of outgoing states (§4.1): a late `delivered` never undoes `read`. */
const RANK = "CASE state WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 1 END";
const RANK_OF: Record<string, number> = { queued: 0, sent: 1, delivered: 2, read: 3 };

export class Outbox {
  constructor(
    private readonly db: Database.Database,
    private readonly sql: Statements,
  ) {}

  /** Queues an envelope; a text message also enters history as `queued`, in the same transaction. */
  enqueue(entry: OutboxEntry, history?: StoredMessage): void {
    this.db.transaction(() => {
      this.insert(entry, null);
      if (history) {
        this.sql
          .get(
            'INSERT INTO messages (id, peer, direction, body, ts, relay_ts, received_at, state, reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            history.id,
            history.peer,
            history.direction,
            history.body,
            history.ts,
            history.relayTs,
            history.receivedAt,
            history.state ?? 'queued',
            history.replyTo ?? null,
          );
      }
    })();
  }

  /**
   * Replaces entry `id` by `entries` in one transaction, the first taking its place in the queue: a room message
   * becomes one entry per member the relay lists when it is sent (§15.6). False if `id` is gone.
   */
  replace(id: string, entries: readonly OutboxEntry[]): boolean {
    return this.db.transaction(() => {
      const row = this.sql.get('SELECT seq FROM outbox WHERE id = ?').get(id) as { seq: number } | undefined;
      if (!row) return false;
      this.sql.get('DELETE FROM outbox WHERE id = ?').run(id);
      entries.forEach((e, k) => this.insert(e, k === 0 ? row.seq : null));
      return true;
    })();
  }

  /** `seq` null: at the end of the queue. */
  private insert(entry: OutboxEntry, seq: number | null): void {
    this.sql
      .get(`INSERT INTO outbox (seq, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        seq,
        entry.id,
        entry.peer,
        entry.kind,
        Buffer.from(entry.body),
        entry.ts,
        blob(entry.env),
        blob(entry.env && entry.sealedTo),
        entry.fanout ?? null,
        blob(entry.groupMsg),
      );
  }

  /** Everything waiting, oldest first. */
  list(): OutboxEntry[] {
    return (this.sql.get(`SELECT ${COLUMNS} FROM outbox ORDER BY seq`).all() as Row[]).map(toEntry);
  }

  get(id: string): OutboxEntry | undefined {
    const r = this.sql.get(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`).get(id) as Row | undefined;
    return r && toEntry(r);
  }

  /** Records the envelope an entry was sealed to `sealedTo`, before it is sent; false if the entry is gone. */
  sealed(id: string, env: Uint8Array, sealedTo: Uint8Array): boolean {
    return (
      this.sql
        .get('UPDATE outbox SET env = ?, sealed_to = ? WHERE id = ?')
        .run(Buffer.from(env), Buffer.from(sealedTo), id).changes === 1
    );
  }

  /** Removes an entry once the relay answered `sent` (or it can never be sent); true if it was there. */
  remove(id: string): boolean {
    return this.sql.get('DELETE FROM outbox WHERE id = ?').run(id).changes === 1;
  }

  /**
   * Removes an entry the relay has stored (`sent`, §9), without waiting for the disk: committed with `synchronous =
   * NORMAL`, so its WAL frame reaches the disk with the next commit's fsync. If a power loss undoes the removal, the
   * entry is sent again, the same bytes under the same id, and the recipient drops the copy as a duplicate (§4 step 7;
   * a receipt's id is in its seen ids, §24.3 step 8); an application crash loses nothing (the write is in the OS).
   * A login drain removes one receipt per 256 messages this way: each was an fsync of its own (~1.2 ms here). Inside
   * a transaction the removal is simply part of it.
   */
  removeSent(id: string): boolean {
    if (this.db.inTransaction) return this.remove(id);
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.remove(id);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** Withdraws a queued message entirely (outbox and history), as `chat send` does when it could not send. */
  withdraw(id: string): void {
    this.db.transaction(() => {
      this.sql.get('DELETE FROM outbox WHERE id = ?').run(id);
      this.sql.get("DELETE FROM messages WHERE id = ? AND direction = 'out'").run(id);
    })();
  }

  /**
   * Moves an outgoing message to `state` if it is addressed to `peer` and the move is forward (§4.1); `failed` only
   * from `queued`. True if the state changed.
   */
  advance(id: string, peer: string, state: MessageState): boolean {
    const sql =
      state === 'failed'
        ? "UPDATE messages SET state = 'failed' WHERE id = ? AND peer = ? AND direction = 'out' AND state = 'queued'"
        : `UPDATE messages SET state = ? WHERE id = ? AND peer = ? AND direction = 'out' AND (state IS NULL OR (state != 'failed' AND ${RANK} < ${RANK_OF[state] ?? 1}))`;
    const info = state === 'failed' ? this.sql.get(sql).run(id, peer) : this.sql.get(sql).run(state, id, peer);
    return info.changes === 1;
  }

  /** Marks every unread message from `peer` read; returns their ids (for read receipts). */
  markRead(peer: string): string[] {
    return this.db.transaction(() => {
      const ids = (
        this.sql
          .get(
            "SELECT id FROM messages WHERE peer = ? AND direction = 'in' AND state = 'unread' ORDER BY received_at, rowid",
          )
          .all(peer) as { id: string }[]
      ).map((r) => r.id);
      this.sql
        .get("UPDATE messages SET state = 'read' WHERE peer = ? AND direction = 'in' AND state = 'unread'")
        .run(peer);
      return ids;
    })();
  }

  setMuted(peer: string, muted: boolean): void {
    this.sql
      .get(
        'INSERT INTO conversations (peer, muted) VALUES (?, ?) ON CONFLICT (peer) DO UPDATE SET muted = excluded.muted',
      )
      .run(peer, muted ? 1 : 0);
  }

  isMuted(peer: string): boolean {
    const row = this.sql.get('SELECT muted FROM conversations WHERE peer = ?').get(peer) as
      | { muted: number }
      | undefined;
    return row?.muted === 1;
  }

  setLastSeen(peer: string, ms: number): void {
    this.sql
      .get(
        'INSERT INTO conversations (peer, last_seen) VALUES (?, ?) ON CONFLICT (peer) DO UPDATE SET last_seen = max(coalesce(last_seen, 0), excluded.last_seen)',
      )
      .run(peer, ms);
  }

  /** One row per peer with history or settings, newest activity first. */
  conversations(): ConversationSummary[] {
    const rows = this.sql
      .get(
        // `peers` walks the distinct peers of the history through its (peer, received_at) index, one seek each,
        // instead of reading every row's peer (a skip-scan by hand: SQLite has none without ANALYZE statistics).
        `WITH RECURSIVE peers(peer) AS (
           SELECT min(peer) FROM messages
           UNION ALL SELECT (SELECT min(peer) FROM messages WHERE peer > peers.peer) FROM peers WHERE peer IS NOT NULL)
         SELECT p.peer AS peer,
                (SELECT count(*) FROM messages m WHERE m.peer = p.peer AND m.direction = 'in' AND m.state = 'unread') AS unread,
                coalesce((SELECT max(received_at) FROM messages m WHERE m.peer = p.peer), 0) AS lastTs,
                coalesce(c.muted, 0) AS muted,
                c.last_seen AS lastSeen
           FROM (SELECT peer FROM peers WHERE peer IS NOT NULL UNION SELECT peer FROM conversations) p
           LEFT JOIN conversations c ON c.peer = p.peer
          ORDER BY lastTs DESC, p.peer`,
      )
      .all() as { peer: string; unread: number; lastTs: number; muted: number; lastSeen: number | null }[];
    return rows.map((r) => ({ ...r, muted: r.muted === 1 }));
  }
}
