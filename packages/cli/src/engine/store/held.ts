/**
 * Schema v17 (PROTOCOL.md §17.6, §25.10): what arrived before what it depends on, kept until that arrives. An edit,
 * delete or reaction whose target is not held yet waits for the target; a group message whose sender key
 * distribution has not come waits, still encrypted under the sender's chain, for the distribution. Both are bounded
 * per sender and in total and expire (the mailbox expiry, or the conversation's timer when it is shorter), because
 * another user fills them: SECURITY.md. Dropped ones are recorded as rejected with the code they had before holding.
 */
import type Database from 'better-sqlite3';
import type { Statements } from './statements.js';

/** §17.6: actions kept per sender, in total, and for how long (the relay's mailbox expiry, §11). */
export const MAX_HELD_ACTIONS_PER_SENDER = 64;
export const MAX_HELD_ACTIONS = 1024;
/** §25.10: group messages kept per (group, claimed sender), in total. */
export const MAX_HELD_GROUP_PER_SENDER = 64;
export const MAX_HELD_GROUP_MESSAGES = 256;
/** How long anything is kept (§17.6, §25.10): what has not come within the mailbox expiry is gone from the relay. */
export const HOLD_KEEP_MS = 30 * 24 * 3600 * 1000;

/** An edit, delete or reaction kept for its target (§17.6). */
export interface HeldAction {
  seq: number;
  id: string;
  sender: string;
  /** The conversation as the store keys it: the peer, or `#<gid>`. */
  conv: string;
  /** The target: a 1:1 message id, or a group message's §17.2 reference (hex). */
  target: string;
  kind: number;
  body: Uint8Array;
  ts: number;
  relayTs: number | null;
}

/** A group message kept for its sender key (§25.10): `gmsg` as it came, still encrypted under the chain. */
export interface HeldGroupMessage {
  seq: number;
  id: string;
  gid: string;
  sender: string;
  epoch: Uint8Array;
  iteration: number;
  gmsg: Uint8Array;
  relayTs: number | null;
}

export type HoldResult = 'held' | 'full' | 'duplicate';

/**
 * `expires_at` for a row kept at `now` in conversation `conv`: HOLD_KEEP_MS, or the conversation's timer if it is on
 * and shorter (§17.5 applies to what is kept as to a message committed then: nothing of it outlives the timer).
 */
const EXPIRES = `? + min(${HOLD_KEEP_MS}, coalesce(1000 * (SELECT seconds FROM timers WHERE conv = ? AND seconds > 0), ${HOLD_KEEP_MS}))`;

interface ActionRow {
  seq: number;
  id: string;
  sender: string;
  conv: string;
  target: string;
  kind: number;
  body: Buffer;
  ts: number;
  relay_ts: number | null;
}

interface GroupRow {
  seq: number;
  id: string;
  gid: string;
  sender: string;
  epoch: Buffer;
  iteration: number;
  gmsg: Buffer;
  relay_ts: number | null;
}

export class HeldTable {
  constructor(private readonly sql: Statements) {}

  /** Keeps an action for its target, unless its sender or the table is at its bound ('full') or it is kept already. */
  holdAction(a: Omit<HeldAction, 'seq'>, now: number): HoldResult {
    if (this.sql.get('SELECT 1 FROM held_actions WHERE id = ?').get(a.id) !== undefined) return 'duplicate';
    const count = (where: string, ...args: unknown[]): number =>
      (this.sql.get(`SELECT count(*) AS n FROM held_actions ${where}`).get(...args) as { n: number }).n;
    if (count('WHERE sender = ?', a.sender) >= MAX_HELD_ACTIONS_PER_SENDER || count('') >= MAX_HELD_ACTIONS)
      return 'full';
    this.sql
      .get(
        `INSERT INTO held_actions (id, sender, conv, target, kind, body, ts, relay_ts, held_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${EXPIRES})`,
      )
      .run(a.id, a.sender, a.conv, a.target, a.kind, Buffer.from(a.body), a.ts, a.relayTs, now, now, a.conv);
    return 'held';
  }

  /** The actions kept for `target` in `conv`, in the order they were kept. */
  actionsFor(conv: string, target: string): HeldAction[] {
    const rows = this.sql
      .get('SELECT * FROM held_actions WHERE conv = ? AND target = ? ORDER BY seq')
      .all(conv, target) as ActionRow[];
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      sender: r.sender,
      conv: r.conv,
      target: r.target,
      kind: r.kind,
      body: new Uint8Array(r.body),
      ts: r.ts,
      relayTs: r.relay_ts,
    }));
  }

  removeAction(seq: number): void {
    this.sql.get('DELETE FROM held_actions WHERE seq = ?').run(seq);
  }

  /** Keeps a group message for its sender key (§25.10), within the bounds per (gid, claimed sender) and in total. */
  holdGroup(g: Omit<HeldGroupMessage, 'seq'>, now: number): HoldResult {
    if (this.sql.get('SELECT 1 FROM held_group_messages WHERE id = ?').get(g.id) !== undefined) return 'duplicate';
    const count = (where: string, ...args: unknown[]): number =>
      (this.sql.get(`SELECT count(*) AS n FROM held_group_messages ${where}`).get(...args) as { n: number }).n;
    if (
      count('WHERE gid = ? AND sender = ?', g.gid, g.sender) >= MAX_HELD_GROUP_PER_SENDER ||
      count('') >= MAX_HELD_GROUP_MESSAGES
    )
      return 'full';
    this.sql
      .get(
        `INSERT INTO held_group_messages (id, gid, sender, epoch, iteration, gmsg, relay_ts, held_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${EXPIRES})`,
      )
      .run(
        g.id,
        g.gid,
        g.sender,
        Buffer.from(g.epoch),
        g.iteration,
        Buffer.from(g.gmsg),
        g.relayTs,
        now,
        now,
        `#${g.gid}`,
      );
    return 'held';
  }

  /** The group messages kept for the chain (gid, sender, epoch), in the order they were kept. */
  groupFor(gid: string, sender: string, epoch: Uint8Array): HeldGroupMessage[] {
    const rows = this.sql
      .get('SELECT * FROM held_group_messages WHERE gid = ? AND sender = ? AND epoch = ? ORDER BY seq')
      .all(gid, sender, Buffer.from(epoch)) as GroupRow[];
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      gid: r.gid,
      sender: r.sender,
      epoch: new Uint8Array(r.epoch),
      iteration: r.iteration,
      gmsg: new Uint8Array(r.gmsg),
      relayTs: r.relay_ts,
    }));
  }

  removeGroup(seq: number): void {
    this.sql.get('DELETE FROM held_group_messages WHERE seq = ?').run(seq);
  }

  /** How many are kept. */
  counts(): { actions: number; groupMessages: number } {
    const n = (t: string): number => (this.sql.get(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return { actions: n('held_actions'), groupMessages: n('held_group_messages') };
  }
}

/** The earliest expiry of anything kept, for the sweep's next run (timers.ts). */
export const HELD_NEXT_EXPIRY_SQL = `SELECT min(expires_at) FROM held_actions UNION ALL SELECT min(expires_at) FROM held_group_messages`;

/**
 * Drops what is kept past its expiry, recording each as the rejection it was before holding (TARGET_UNKNOWN,
 * GROUP_EPOCH_UNKNOWN): no body of an expired conversation stays, and the id stays a duplicate. In the sweep's
 * transaction (timers.ts).
 */
export function sweepHeld(db: Database.Database, now: number): void {
  db.prepare(
    `INSERT OR IGNORE INTO rejected (id, reason, relay_ts, rejected_at)
     SELECT id, 'TARGET_UNKNOWN', relay_ts, ? FROM held_actions WHERE expires_at <= ?`,
  ).run(now, now);
  db.prepare('DELETE FROM held_actions WHERE expires_at <= ?').run(now);
  db.prepare(
    `INSERT OR IGNORE INTO rejected (id, reason, relay_ts, rejected_at)
     SELECT id, 'GROUP_EPOCH_UNKNOWN', relay_ts, ? FROM held_group_messages WHERE expires_at <= ?`,
  ).run(now, now);
  db.prepare('DELETE FROM held_group_messages WHERE expires_at <= ?').run(now);
}
