/**
 * The 1:1 message history (§4 step 7: an id is committed once). History is what `ack` waits for (§9); the outbox
 * (outbox.ts) moves outgoing rows through their states.
 */
import type { Statements } from './statements.js';
import type { Direction, MessageState, StoredMessage } from './types.js';

interface MessageRow {
  id: string;
  peer: string;
  direction: Direction;
  body: string;
  ts: number;
  relay_ts: number | null;
  received_at: number;
  state: MessageState | null;
  deleted?: number;
}

export class MessageTable {
  constructor(private readonly sql: Statements) {}

  /** Commits a message unless its id is already in the history; true if it was new (§4 step 7). */
  add(m: StoredMessage): boolean {
    const info = this.sql
      .get(
        'INSERT OR IGNORE INTO messages (id, peer, direction, body, ts, relay_ts, received_at, state, reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(m.id, m.peer, m.direction, m.body, m.ts, m.relayTs, m.receivedAt, m.state ?? null, m.replyTo ?? null);
    return info.changes === 1;
  }

  has(id: string): boolean {
    return this.sql.get('SELECT 1 FROM messages WHERE id = ?').get(id) !== undefined;
  }

  /**
   * History in this client's commit order (received_at, then insertion), optionally for one peer; the newest `limit`
   * when given. Never in the sender's `ts`: that is their claim (§4, "Order of the history").
   */
  list({ peer, limit = -1 }: { peer?: string; limit?: number } = {}): StoredMessage[] {
    const where = peer === undefined ? '' : 'WHERE peer = @peer';
    const rows = this.sql
      .get(
        `SELECT * FROM (SELECT rowid AS seq, * FROM messages ${where} ORDER BY received_at DESC, seq DESC LIMIT @limit) ORDER BY received_at, seq`,
      )
      .all(peer === undefined ? { limit } : { peer, limit }) as MessageRow[];
    return rows.map((r) => ({
      id: r.id,
      peer: r.peer,
      direction: r.direction,
      // Deleted for everyone (§17.3): the text is gone; what the session shows in its place.
      body: r.deleted === 1 ? 'message deleted' : r.body,
      ts: r.ts,
      relayTs: r.relay_ts,
      receivedAt: r.received_at,
      state: r.state,
    }));
  }
}
