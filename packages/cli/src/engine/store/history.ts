/**
 * Schema v10 (issue 15, PROTOCOL.md §17): the state replies, edits, deletes and reactions leave on 1:1 and group
 * messages, and the history as shown — pages (keyset on this client's receive time, then commit order) and search.
 * The rules (who may edit what, which edit wins) are engine/actions/; this module only reads and writes rows.
 */
import type Database from 'better-sqlite3';
import type { Statements } from './statements.js';

/** A message as edits, deletes and reactions may name it: a row of `messages` (1:1) or `group_messages`. */
export interface TargetRow {
  /** The local id (the envelope id this client stored it under). */
  id: string;
  table: 'messages' | 'group_messages';
  /** 1:1: the peer; group: `#<gid>`; room: `room:<name>`. */
  conv: string;
  /** Who wrote it: 1:1 `in` rows the peer, `out` rows `null` (ourselves; the caller knows our name); group the sender. */
  sender: string | null;
  body: string;
  ts: number;
  receivedAt: number;
  editSeq: number;
  deleted: boolean;
  /** Group messages: the §17.2 reference (absent for rows from before schema v10). */
  ref: string | null;
  replyTo: string | null;
}

/** One entry of a history page, with everything applied. */
export interface HistoryRow extends TargetRow {
  /** The rowid: commit order among rows of one receive time, the second half of a page's key. */
  seq: number;
  /** 1:1 outgoing rows: the delivery state. */
  state: string | null;
  direction: 'in' | 'out' | null;
  relayTs: number | null;
  /** The seq-ordered versions (seq 0 the original) when it was edited; empty otherwise. */
  versions: { seq: number; body: string; ts: number }[];
  /** One per author, in the order they were set. */
  reactions: { author: string; emoji: string }[];
}

type Raw = {
  id: string;
  conv: string;
  sender: string | null;
  direction: 'in' | 'out' | null;
  body: string;
  ts: number;
  relay_ts: number | null;
  received_at: number;
  edit_seq: number;
  deleted: number;
  ref: string | null;
  reply_to: string | null;
  state: string | null;
  r: number;
  t: 'messages' | 'group_messages';
};

/** The two tables in one shape; `r` is the rowid (commit order within a receive time). */
const ONE_TO_ONE = `SELECT id, peer AS conv, CASE WHEN state = 'event' THEN '*' WHEN direction = 'in' THEN peer END AS sender, direction, body, ts, relay_ts,
  received_at, edit_seq, deleted, NULL AS ref, reply_to, state, rowid AS r, 'messages' AS t FROM messages`;
const GROUP = `SELECT id, conv, sender, NULL AS direction, body, ts, relay_ts, received_at, edit_seq, deleted, ref,
  reply_to, NULL AS state, rowid AS r, 'group_messages' AS t FROM group_messages`;

const toTarget = (r: Raw): TargetRow => ({
  id: r.id,
  table: r.t,
  conv: r.conv,
  sender: r.sender,
  body: r.body,
  ts: r.ts,
  receivedAt: r.received_at,
  editSeq: r.edit_seq,
  deleted: r.deleted === 1,
  ref: r.ref,
  replyTo: r.reply_to,
});

export class HistoryTable {
  constructor(
    private readonly db: Database.Database,
    private readonly sql: Statements,
  ) {}

  /** The message with local id `id`, 1:1 or group. */
  byId(id: string): TargetRow | undefined {
    const r = (this.sql.get(`${ONE_TO_ONE} WHERE id = ?`).get(id) ?? this.sql.get(`${GROUP} WHERE id = ?`).get(id)) as
      | Raw
      | undefined;
    return r && toTarget(r);
  }

  /** The local ids starting with `prefix` (hex), at most two: enough to tell a unique prefix from an ambiguous one. */
  idsWithPrefix(prefix: string): string[] {
    // A range on the primary keys: hex digits all sort below 'g'.
    const hi = `${prefix}g`;
    return this.sql
      .get(
        'SELECT id FROM (SELECT id FROM messages WHERE id >= ? AND id < ? UNION SELECT id FROM group_messages WHERE id >= ? AND id < ?) LIMIT 2',
      )
      .pluck()
      .all(prefix, hi, prefix, hi) as string[];
  }

  /** The group message of `conv` (`#<gid>`) with §17.2 reference `ref`. */
  byRef(conv: string, ref: string): TargetRow | undefined {
    const r = this.sql.get(`${GROUP} WHERE conv = ? AND ref = ? ORDER BY rowid LIMIT 1`).get(conv, ref) as
      | Raw
      | undefined;
    return r && toTarget(r);
  }

  /** Keeps version `seq` of message `id` (INSERT OR IGNORE: a redelivered edit changes nothing). */
  addVersion(id: string, seq: number, body: string, ts: number, receivedAt: number): void {
    this.sql
      .get('INSERT OR IGNORE INTO message_versions (msg, seq, body, ts, received_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, seq, body, ts, receivedAt);
  }

  /** Makes `body` the shown text of `t`, as edit `seq`. */
  setCurrent(t: TargetRow, seq: number, body: string): void {
    this.sql.get(`UPDATE ${t.table} SET body = ?, edit_seq = ? WHERE id = ?`).run(body, seq, t.id);
  }

  /** Deleted for everyone (§17.3): the text and every version and reaction are dropped; the row stays as a marker. */
  markDeleted(t: TargetRow): void {
    this.sql.get(`UPDATE ${t.table} SET body = '', deleted = 1 WHERE id = ?`).run(t.id);
    this.sql.get('DELETE FROM message_versions WHERE msg = ?').run(t.id);
    this.sql.get('DELETE FROM reactions WHERE msg = ?').run(t.id);
  }

  /**
   * Deleted for me: the row, its versions and reactions are gone, and the id joins the seen ids (schema v7), so a
   * redelivery of it is discarded as one (§4 step 7) instead of coming back.
   */
  forget(t: TargetRow, now: number): void {
    this.sql.get(`DELETE FROM ${t.table} WHERE id = ?`).run(t.id);
    this.sql.get('DELETE FROM message_versions WHERE msg = ?').run(t.id);
    this.sql.get('DELETE FROM reactions WHERE msg = ?').run(t.id);
    this.sql.get('INSERT OR IGNORE INTO seen_ids (id, seen_at) VALUES (?, ?)').run(t.id, now);
  }

  /** Sets `author`'s reaction on message `id` (one per author); `""` removes it. */
  setReaction(id: string, author: string, emoji: string, now: number): void {
    if (emoji === '') this.sql.get('DELETE FROM reactions WHERE msg = ? AND author = ?').run(id, author);
    else
      this.sql
        .get(
          `INSERT INTO reactions (msg, author, emoji, received_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (msg, author) DO UPDATE SET emoji = excluded.emoji, received_at = excluded.received_at`,
        )
        .run(id, author, emoji, now);
  }

  /**
   * A page of the conversation `conv` (a peer, or `#<gid>`), oldest first: the newest `limit` rows, or the newest
   * `limit` before the row `before`. Keyset pagination on (received_at, rowid), which the per-conversation indexes
   * (peer / conv, received_at) serve with the rowid SQLite appends to every index: no sort, no offset scan.
   */
  page(conv: string, group: boolean, limit: number, before?: TargetRow): HistoryRow[] {
    const base = group ? GROUP : ONE_TO_ONE;
    const col = group ? 'conv' : 'peer';
    const key = before
      ? (this.sql.get(`SELECT received_at, rowid AS r FROM ${before.table} WHERE id = ?`).get(before.id) as
          | { received_at: number; r: number }
          | undefined)
      : undefined;
    const rows = key
      ? (this.sql
          .get(
            `${base} WHERE ${col} = ? AND (received_at, rowid) < (?, ?) ORDER BY received_at DESC, rowid DESC LIMIT ?`,
          )
          .all(conv, key.received_at, key.r, limit) as Raw[])
      : (this.sql
          .get(`${base} WHERE ${col} = ? ORDER BY received_at DESC, rowid DESC LIMIT ?`)
          .all(conv, limit) as Raw[]);
    return this.decorate(rows.reverse());
  }

  /**
   * The interactive session's pages (ui/pager.ts) of conversation `conv`, oldest first, received after `since`:
   * `newest` the newest `limit` (before `key` when given, exclusive); `oldest` the oldest `limit` (from `key` when
   * given, `inclusive` or not). Keyset on (received_at, rowid) in both directions, served by the same indexes as
   * `page` (explainRange): the cost of a page does not grow with the history.
   */
  range(
    conv: { conv: string; group: boolean },
    end: 'newest' | 'oldest',
    limit: number,
    opts: { since?: number; key?: { receivedAt: number; seq: number }; inclusive?: boolean } = {},
  ): HistoryRow[] {
    const base = conv.group ? GROUP : ONE_TO_ONE;
    const col = conv.group ? 'conv' : 'peer';
    const desc = end === 'newest';
    const op = desc ? '<' : opts.inclusive ? '>=' : '>';
    const where = `${col} = ? AND received_at > ?${opts.key ? ` AND (received_at, rowid) ${op} (?, ?)` : ''}`;
    const order = desc ? 'received_at DESC, rowid DESC' : 'received_at, rowid';
    const args: unknown[] = [conv.conv, opts.since ?? -1];
    if (opts.key) args.push(opts.key.receivedAt, opts.key.seq);
    const rows = this.sql.get(`${base} WHERE ${where} ORDER BY ${order} LIMIT ?`).all(...args, limit) as Raw[];
    return this.decorate(desc ? rows.reverse() : rows);
  }

  /** Messages whose shown text contains `text` (case-insensitive for ASCII), newest first, optionally in one conversation. */
  search(text: string, limit: number, conv?: { conv: string; group: boolean }): HistoryRow[] {
    // LIKE folds ASCII case only, as documented for chat search; its wildcards in the text are escaped to match
    // themselves. A third of the cost of instr(lower(body)), which lowers a copy of every body it scans.
    const needle = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const where = "deleted = 0 AND body LIKE ? ESCAPE '\\'";
    let rows: Raw[];
    if (conv) {
      const base = conv.group ? GROUP : ONE_TO_ONE;
      const col = conv.group ? 'conv' : 'peer';
      rows = this.sql
        .get(
          `${base} WHERE ${col} = ? AND ${where}${conv.group ? '' : " AND state IS NOT 'event'"} ORDER BY received_at DESC, rowid DESC LIMIT ?`,
        )
        .all(conv.conv, needle, limit) as Raw[];
    } else {
      rows = this.sql
        .get(
          `SELECT * FROM (${ONE_TO_ONE} WHERE ${where} AND state IS NOT 'event' UNION ALL ${GROUP} WHERE ${where} AND sender != '*') ORDER BY received_at DESC, r DESC LIMIT ?`,
        )
        .all(needle, needle, limit) as Raw[];
    }
    return this.decorate(rows);
  }

  private decorate(rows: Raw[]): HistoryRow[] {
    const versions = this.sql.get('SELECT seq, body, ts FROM message_versions WHERE msg = ? ORDER BY seq');
    const reactions = this.sql.get('SELECT author, emoji FROM reactions WHERE msg = ? ORDER BY received_at, rowid');
    return rows.map((r) => ({
      ...toTarget(r),
      seq: r.r,
      state: r.state,
      direction: r.direction,
      relayTs: r.relay_ts,
      versions: r.edit_seq > 0 ? (versions.all(r.id) as HistoryRow['versions']) : [],
      reactions: reactions.all(r.id) as HistoryRow['reactions'],
    }));
  }

  /** @internal For tests: the query plan of a `range` page, to check that an index serves it. */
  explainRange(group: boolean, end: 'newest' | 'oldest'): string {
    const base = group ? GROUP : ONE_TO_ONE;
    const col = group ? 'conv' : 'peer';
    const [op, order] = end === 'newest' ? ['<', 'received_at DESC, rowid DESC'] : ['>', 'received_at, rowid'];
    return (
      this.db
        .prepare(
          `EXPLAIN QUERY PLAN ${base} WHERE ${col} = ? AND received_at > ? AND (received_at, rowid) ${op} (?, ?) ORDER BY ${order} LIMIT ?`,
        )
        .all('x', 0, 0, 0, 1) as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
  }

  /** @internal For tests: the query plan of a page, to check that an index serves it. */
  explainPage(group: boolean): string {
    const base = group ? GROUP : ONE_TO_ONE;
    const col = group ? 'conv' : 'peer';
    return (
      this.db
        .prepare(
          `EXPLAIN QUERY PLAN ${base} WHERE ${col} = ? AND (received_at, rowid) < (?, ?) ORDER BY received_at DESC, rowid DESC LIMIT ?`,
        )
        .all('x', 0, 0, 1) as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
  }
}
