/**
 * Schema v13 (issue 13, PROTOCOL.md §24): what protocol v2 keeps in the client database. Our prekeys' private halves
 * (§24.6), the Double Ratchet sessions per peer (§24.4, state serialised as §20.7), the PQXDH replay keys (§19.6) and
 * the peers that used v2 (§24.5). Plain rows: deciding what to do with them is engine/v2's.
 */
import type { Statements } from './statements.js';

/** One of our prekeys: `secret` is the X25519 secret key, or the 64-byte ML-KEM KeyGen seed (§18.1). */
export interface OwnPrekey {
  type: number;
  keyId: number;
  publicKey: Uint8Array;
  secret: Uint8Array;
  signature: Uint8Array;
  createdAt: number;
  /** Set once replaced (signed and last-resort keys): erased at this time (ms). */
  eraseAt: number | null;
}

/** A stored session with a peer. */
export interface SessionRow {
  /** Undefined for a session not stored yet. */
  sid?: number;
  peer: string;
  /** §20.7 serialisation. */
  state: Uint8Array;
  /** The initiation (§19.5) repeated on every message until the peer answers; null once it has (or as responder). */
  initiation: Uint8Array | null;
  /** The replay key (§19.6) of the initiation that started it, if any (either side). */
  replayKey: string | null;
  usedAt: number;
}

interface PrekeyRecord {
  type: number;
  key_id: number;
  public: Buffer;
  secret: Buffer;
  signature: Buffer;
  created_at: number;
  erase_at: number | null;
}

interface SessionRecord {
  sid: number;
  peer: string;
  state: Buffer;
  initiation: Buffer | null;
  replay_key: string | null;
  used_at: number;
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b);
const prekeyRow = (r: PrekeyRecord): OwnPrekey => ({
  type: r.type,
  keyId: r.key_id,
  publicKey: u8(r.public),
  secret: u8(r.secret),
  signature: u8(r.signature),
  createdAt: r.created_at,
  eraseAt: r.erase_at,
});

/** Sessions kept per peer, most recently used first (§24.4); older ones are erased with their keys. */
export const MAX_SESSIONS_PER_PEER = 4;

export class V2Table {
  constructor(private readonly sql: Statements) {}

  addPrekeys(keys: readonly OwnPrekey[]): void {
    const insert = this.sql.get(
      `INSERT INTO v2_prekeys (type, key_id, public, secret, signature, created_at, erase_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const k of keys) {
      insert.run(
        k.type,
        k.keyId,
        Buffer.from(k.publicKey),
        Buffer.from(k.secret),
        Buffer.from(k.signature),
        k.createdAt,
        k.eraseAt,
      );
    }
  }

  /** The prekey `(type, keyId)` if we still hold it (live or retired, not erased). */
  prekey(type: number, keyId: number): OwnPrekey | undefined {
    const r = this.sql.get('SELECT * FROM v2_prekeys WHERE type = ? AND key_id = ?').get(type, keyId) as
      | PrekeyRecord
      | undefined;
    return r && prekeyRow(r);
  }

  /** Our live (not retired) prekeys of `type`, oldest first: what we publish. */
  live(type: number): OwnPrekey[] {
    return (
      this.sql
        .get('SELECT * FROM v2_prekeys WHERE type = ? AND erase_at IS NULL ORDER BY created_at, key_id')
        .all(type) as PrekeyRecord[]
    ).map(prekeyRow);
  }

  /** Every key id of `type` we hold (to choose unused ids). */
  keyIds(type: number): Set<number> {
    return new Set(this.sql.get('SELECT key_id FROM v2_prekeys WHERE type = ?').pluck().all(type) as number[]);
  }

  /** Replaced: kept until `eraseAt` for messages already on their way (§24.6). */
  retire(type: number, keyId: number, eraseAt: number): void {
    this.sql.get('UPDATE v2_prekeys SET erase_at = ? WHERE type = ? AND key_id = ?').run(eraseAt, type, keyId);
  }

  /** Erases a prekey's private half now (a one-time key used, §19.4 step 6). */
  erasePrekey(type: number, keyId: number): void {
    this.sql.get('DELETE FROM v2_prekeys WHERE type = ? AND key_id = ?').run(type, keyId);
  }

  /**
   * Forgets what belonged to identity keys that were replaced (`chat keygen --force`, `chat key import --force` over a
   * kept history): our prekeys (signed by the old key, the relay would refuse them) and every session (its keys were
   * agreed with the old identity, PROTOCOL.md §19.3, so a contact must not go on accepting them as ours; hunt3). The
   * next messages either way start new sessions (§24.2, §24.7).
   */
  forgetReplacedIdentity(): void {
    this.sql.get('DELETE FROM v2_prekeys').run();
    this.sql.get('DELETE FROM v2_sessions').run();
  }

  /** Erases the retired prekeys whose time has come, and replay keys older than `replayBefore`. */
  sweep(now: number, replayBefore: number): void {
    this.sql.get('DELETE FROM v2_prekeys WHERE erase_at IS NOT NULL AND erase_at <= ?').run(now);
    this.sql.get('DELETE FROM v2_replay WHERE seen_at < ?').run(replayBefore);
  }

  /** The sessions with `peer`, most recently used first. */
  sessions(peer: string): SessionRow[] {
    const rows = this.sql
      .get('SELECT * FROM v2_sessions WHERE peer = ? ORDER BY used_at DESC, sid DESC')
      .all(peer) as SessionRecord[];
    return rows.map((r) => ({
      sid: r.sid,
      peer: r.peer,
      state: u8(r.state),
      initiation: r.initiation && u8(r.initiation),
      replayKey: r.replay_key,
      usedAt: r.used_at,
    }));
  }

  /**
   * Stores a session (new or changed) and, when it is new, erases the peer's sessions beyond MAX_SESSIONS_PER_PEER.
   * Returns its sid. Every message sent or received in a session updates it, so an update does only the update: it
   * adds no session, so it cannot put the peer over the bound (the prune once cost as much as the update itself).
   */
  saveSession(s: SessionRow): number {
    const initiation = s.initiation && Buffer.from(s.initiation);
    if (s.sid !== undefined) {
      this.sql
        .get('UPDATE v2_sessions SET state = ?, initiation = ?, used_at = ? WHERE sid = ?')
        .run(Buffer.from(s.state), initiation, s.usedAt, s.sid);
      return s.sid;
    }
    return this.insertSession(s);
  }

  /**
   * Updates stored session `s.sid` only if its state is still `expected` (what the caller read): false, and nothing
   * written, if another writer changed or erased it meanwhile.
   */
  replaceSession(s: SessionRow & { sid: number }, expected: Uint8Array): boolean {
    const initiation = s.initiation && Buffer.from(s.initiation);
    return (
      this.sql
        .get('UPDATE v2_sessions SET state = ?, initiation = ?, used_at = ? WHERE sid = ? AND state = ?')
        .run(Buffer.from(s.state), initiation, s.usedAt, s.sid, Buffer.from(expected)).changes === 1
    );
  }

  private insertSession(s: SessionRow): number {
    const initiation = s.initiation && Buffer.from(s.initiation);
    const sid = Number(
      this.sql
        .get('INSERT INTO v2_sessions (peer, state, initiation, replay_key, used_at) VALUES (?, ?, ?, ?, ?)')
        .run(s.peer, Buffer.from(s.state), initiation, s.replayKey, s.usedAt).lastInsertRowid,
    );
    this.sql
      .get(
        `DELETE FROM v2_sessions WHERE peer = ? AND sid NOT IN
           (SELECT sid FROM v2_sessions WHERE peer = ? ORDER BY used_at DESC, sid DESC LIMIT ?)`,
      )
      .run(s.peer, s.peer, MAX_SESSIONS_PER_PEER);
    return sid;
  }

  hasReplay(key: string): boolean {
    return this.sql.get('SELECT 1 FROM v2_replay WHERE key = ?').get(key) !== undefined;
  }

  addReplay(key: string, at: number): void {
    this.sql.get('INSERT OR IGNORE INTO v2_replay (key, seen_at) VALUES (?, ?)').run(key, at);
  }

  /**
   * True if `id` was already committed (1:1 or group history, rejected) or restored as seen (§13.2): a redelivery, to
   * drop before it touches a session (§24.3 step 4).
   */
  committed(id: string): boolean {
    return (
      this.sql
        .get(
          `SELECT 1 FROM messages WHERE id = ? UNION ALL SELECT 1 FROM group_messages WHERE id = ?
           UNION ALL SELECT 1 FROM rejected WHERE id = ? UNION ALL SELECT 1 FROM seen_ids WHERE id = ? LIMIT 1`,
        )
        .get(id, id, id, id) !== undefined
    );
  }

  /**
   * `committed` for a receive batch's ids in one query instead of one per envelope: the ones already committed.
   * (As with `committed` itself, ids of the batch being checked are not among them until its transaction commits.)
   */
  committedAmong(ids: readonly string[]): Set<string> {
    if (ids.length === 0) return new Set();
    const rows = this.sql
      .get(
        `SELECT value AS id FROM json_each(?) WHERE EXISTS (SELECT 1 FROM messages WHERE id = value)
           OR EXISTS (SELECT 1 FROM group_messages WHERE id = value) OR EXISTS (SELECT 1 FROM rejected WHERE id = value)
           OR EXISTS (SELECT 1 FROM seen_ids WHERE id = value)`,
      )
      .all(JSON.stringify(ids)) as { id: string }[];
    return new Set(rows.map((r) => r.id));
  }

  /** The peer has used v2 with us (§24.5): v1 to or from it is refused from now on. */
  isV2Peer(peer: string): boolean {
    return this.sql.get('SELECT 1 FROM v2_peers WHERE peer = ?').get(peer) !== undefined;
  }

  markV2Peer(peer: string, at: number): void {
    this.sql.get('INSERT OR IGNORE INTO v2_peers (peer, since) VALUES (?, ?)').run(peer, at);
  }
}
