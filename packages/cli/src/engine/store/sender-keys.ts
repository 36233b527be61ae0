/**
 * Group sender keys at rest (PROTOCOL.md §25.7, schema v14): our sending chain per group, which members hold it, and
 * the members' receiving chains. Every write happens in the caller's transaction, with the outbox rows (send) or the
 * history row (receive) it belongs to. Never read by backup.ts: a restored sender key would reuse message keys.
 */
import {
  GROUP_MAX_SENDER_EPOCHS,
  deserializeReceivingSenderKey,
  type ReceivingSenderKey,
  type SenderKey,
  serializeReceivingSenderKey,
} from '@chat/crypto';
import type { Statements } from './statements.js';

/** Our sending chain in one group, with the state version it was made under and when (for §25.6's rotation). */
export interface OwnSenderKey {
  gid: string;
  key: SenderKey;
  stateVersion: number;
  createdAt: number;
  /**
   * The epoch's chain key at iteration 0, kept for the epoch's life so that a member given the epoch late (a request,
   * §25.9; a new session) can open what it kept (§25.10). Absent for an epoch made before schema v17.
   */
  start?: Uint8Array;
}

interface OwnRow {
  gid: string;
  epoch: Buffer;
  iteration: number;
  chain_key: Buffer;
  signing_secret: Buffer;
  signing_public: Buffer;
  state_version: number;
  created_at: number;
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b);

export class SenderKeyTable {
  constructor(private readonly sql: Statements) {}

  own(gid: string): OwnSenderKey | undefined {
    const r = this.sql.get('SELECT * FROM group_sender_own WHERE gid = ?').get(gid) as OwnRow | undefined;
    if (!r) return undefined;
    const start = this.sql
      .get('SELECT start_key FROM group_sender_start WHERE gid = ? AND epoch = ?')
      .get(gid, r.epoch) as { start_key: Buffer } | undefined;
    return {
      gid,
      key: {
        epoch: u8(r.epoch),
        iteration: r.iteration,
        chainKey: u8(r.chain_key),
        signingSecretKey: u8(r.signing_secret),
        signingPublicKey: u8(r.signing_public),
      },
      stateVersion: r.state_version,
      createdAt: r.created_at,
      ...(start === undefined ? {} : { start: u8(start.start_key) }),
    };
  }

  /**
   * Stores our chain for `gid`; a new epoch (another epoch id) forgets who held the previous one. The epoch's start
   * key is written with a new epoch and kept while the epoch lasts.
   */
  saveOwn(o: OwnSenderKey): void {
    const before = this.sql.get('SELECT epoch FROM group_sender_own WHERE gid = ?').get(o.gid) as
      | { epoch: Buffer }
      | undefined;
    if (before && !before.epoch.equals(o.key.epoch))
      this.sql.get('DELETE FROM group_sender_given WHERE gid = ?').run(o.gid);
    this.sql
      .get(
        `INSERT INTO group_sender_own (gid, epoch, iteration, chain_key, signing_secret, signing_public, state_version, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (gid) DO UPDATE SET epoch = excluded.epoch, iteration = excluded.iteration,
           chain_key = excluded.chain_key, signing_secret = excluded.signing_secret,
           signing_public = excluded.signing_public, state_version = excluded.state_version,
           created_at = excluded.created_at`,
      )
      .run(
        o.gid,
        Buffer.from(o.key.epoch),
        o.key.iteration,
        Buffer.from(o.key.chainKey),
        Buffer.from(o.key.signingSecretKey),
        Buffer.from(o.key.signingPublicKey),
        o.stateVersion,
        o.createdAt,
      );
    // A new epoch: its first chain key replaces the previous epoch's (which is erased with it, §25.7).
    if (!before?.epoch.equals(o.key.epoch)) {
      this.sql.get('DELETE FROM group_sender_start WHERE gid = ?').run(o.gid);
      if (o.start)
        this.sql
          .get('INSERT INTO group_sender_start (gid, epoch, start_key) VALUES (?, ?, ?)')
          .run(o.gid, Buffer.from(o.key.epoch), Buffer.from(o.start));
    }
  }

  /** Forgets the start key of our current epoch of `gid` (§25.3: the group's timer came on). */
  dropStart(gid: string): void {
    this.sql.get('DELETE FROM group_sender_start WHERE gid = ?').run(gid);
  }

  /** The 1:1 session (sid) in which `member` was given our current epoch of `gid`, if it was. */
  givenIn(gid: string, member: string): number | undefined {
    const r = this.sql.get('SELECT sid FROM group_sender_given WHERE gid = ? AND member = ?').get(gid, member) as
      | { sid: number }
      | undefined;
    return r?.sid;
  }

  markGiven(gid: string, member: string, sid: number): void {
    this.sql
      .get(
        'INSERT INTO group_sender_given (gid, member, sid) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET sid = excluded.sid',
      )
      .run(gid, member, sid);
  }

  /** `member` was not given our epoch after all (its distribution was refused for good): give it with the next message. */
  forgetGiven(gid: string, member: string): void {
    this.sql.get('DELETE FROM group_sender_given WHERE gid = ? AND member = ?').run(gid, member);
  }

  /**
   * §25.9: records a sender key request for (gid, sender, epoch) and opens it; false (ask nothing) if one was asked
   * for that epoch before or one is open to `sender` for `gid`.
   */
  ask(gid: string, sender: string, epoch: Uint8Array, now: number): boolean {
    const open = this.sql.get('SELECT 1 FROM group_sender_asked WHERE gid = ? AND sender = ? AND open = 1');
    if (open.get(gid, sender) !== undefined) return false;
    return (
      this.sql
        .get('INSERT OR IGNORE INTO group_sender_asked (gid, sender, epoch, asked_at, open) VALUES (?, ?, ?, ?, 1)')
        .run(gid, sender, Buffer.from(epoch), now).changes === 1
    );
  }

  /** §25.9: `sender`'s key for `gid` came (a distribution stored, a message decrypted): its open request closes. */
  answered(gid: string, sender: string): void {
    this.sql.get('UPDATE group_sender_asked SET open = 0 WHERE gid = ? AND sender = ? AND open = 1').run(gid, sender);
  }

  /** A member's receiving chain for (gid, sender, epoch). @throws {CryptoError} GROUP_SENDER_KEY_INVALID if corrupt. */
  peer(gid: string, sender: string, epoch: Uint8Array): ReceivingSenderKey | undefined {
    const r = this.sql
      .get('SELECT state FROM group_sender_peer WHERE gid = ? AND sender = ? AND epoch = ?')
      .get(gid, sender, Buffer.from(epoch)) as { state: Buffer } | undefined;
    return r && deserializeReceivingSenderKey(u8(r.state));
  }

  /**
   * Stores a receiving chain given by a distribution (§25.3); false (nothing changed) if it is already held. Keeps at
   * most GROUP_MAX_SENDER_EPOCHS of the sender's chains in the group, erasing the least recently used (§25.7): a member
   * cannot make us keep a chain (and its 1,000 skipped keys) per distribution it sends, nor push out another's.
   */
  addPeer(gid: string, sender: string, epoch: Uint8Array, key: ReceivingSenderKey, now: number): boolean {
    const added =
      this.sql
        .get('INSERT OR IGNORE INTO group_sender_peer (gid, sender, epoch, state, used_at) VALUES (?, ?, ?, ?, ?)')
        .run(gid, sender, Buffer.from(epoch), Buffer.from(serializeReceivingSenderKey(key)), now).changes === 1;
    if (added) {
      this.sql
        .get(
          `DELETE FROM group_sender_peer WHERE gid = ? AND sender = ? AND rowid NOT IN (
             SELECT rowid FROM group_sender_peer WHERE gid = ? AND sender = ? ORDER BY used_at DESC, rowid DESC LIMIT ?)`,
        )
        .run(gid, sender, gid, sender, GROUP_MAX_SENDER_EPOCHS);
    }
    return added;
  }

  /** Stores a receiving chain's new state after a message decrypted in it. */
  savePeer(gid: string, sender: string, epoch: Uint8Array, key: ReceivingSenderKey, now: number): void {
    this.sql
      .get('UPDATE group_sender_peer SET state = ?, used_at = ? WHERE gid = ? AND sender = ? AND epoch = ?')
      .run(Buffer.from(serializeReceivingSenderKey(key)), now, gid, sender, Buffer.from(epoch));
  }

  /**
   * §25.7: erases receiving chains unused since `unusedBefore`, and every sender key of a group we are no longer a
   * member of (we left, were removed, or never accepted it).
   */
  sweep(unusedBefore: number): void {
    this.sql.get('DELETE FROM group_sender_peer WHERE used_at < ?').run(unusedBefore);
    this.sql.get('DELETE FROM group_sender_asked WHERE asked_at < ?').run(unusedBefore);
    const out = 'gid NOT IN (SELECT gid FROM groups WHERE member = 1)';
    this.sql.get(`DELETE FROM group_sender_peer WHERE ${out}`).run();
    this.sql.get(`DELETE FROM group_sender_own WHERE ${out}`).run();
    this.sql.get(`DELETE FROM group_sender_start WHERE ${out}`).run();
    this.sql.get(`DELETE FROM group_sender_given WHERE ${out}`).run();
    this.sql.get(`DELETE FROM group_sender_asked WHERE ${out}`).run();
    // §25.10: group messages kept for a sender key of a group we left can never open: dropped as they were before.
    this.sql
      .get(
        `INSERT OR IGNORE INTO rejected (id, reason, relay_ts, rejected_at)
         SELECT id, 'GROUP_EPOCH_UNKNOWN', relay_ts, CAST(unixepoch('subsec') * 1000 AS INTEGER)
         FROM held_group_messages WHERE ${out}`,
      )
      .run();
    this.sql.get(`DELETE FROM held_group_messages WHERE ${out}`).run();
  }
}
