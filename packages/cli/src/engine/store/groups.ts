/** Schema v4 of the local store: groups (their latest accepted state record), joined rooms, group and room messages. */
import type Database from 'better-sqlite3';
import { parseGroupRecord, toHex, type GroupRecord } from '@chat/crypto';

/** A stored group: the last accepted record (§15.4), whether we are in it, and who invited us while it is pending (§15.7). */
export interface StoredGroup {
  gid: string;
  record: GroupRecord;
  member: boolean;
  /** Set while the group is a pending invitation from a non-contact: not shown, never addressed by name. */
  invitedBy?: string;
}

type Row = { gid: string; record: Buffer; member: number; invited_by: string | null };
const fromRow = (r: Row): StoredGroup => ({
  gid: r.gid,
  record: parseGroupRecord(new Uint8Array(r.record)),
  member: r.member === 1,
  ...(r.invited_by === null ? {} : { invitedBy: r.invited_by }),
});

/**
 * A competing invitation (§15.4 step 4): another version of a group we hold, from `inviter`, kept for the user to
 * choose. Later records that follow from it update it.
 */
export interface StoredInvitation {
  gid: string;
  inviter: string;
  record: GroupRecord;
}

/** A group or room message, or a membership event (`sender` `*`). `conv` is `#<gid hex>` or `room:<name>`. */
export interface ConvMessage {
  id: string;
  conv: string;
  sender: string;
  body: string;
  ts: number;
  relayTs: number | null;
  receivedAt: number;
  /** Group texts and replies: the §17.2 reference every member computes alike. */
  ref?: string | null;
  /** The local id (or, if not held, the §17.2 reference) of the message this one replies to. */
  replyTo?: string | null;
}

/** Changes kept ahead of our state, per group and per signer in a group (§15.4 step 7). */
export const MAX_AHEAD_PER_GROUP = 32;
export const MAX_AHEAD_PER_SIGNER = 8;

/** A group state record kept until the change it follows from comes (§15.4 step 7), with its envelope's fields. */
export interface AheadRecord {
  gid: string;
  version: number;
  signer: string;
  record: Uint8Array;
  id: string;
  ts: number;
  relayTs: number;
}

export class GroupStore {
  constructor(private readonly db: Database.Database) {}

  get(gid: string): StoredGroup | undefined {
    const row = this.db.prepare('SELECT gid, record, member, invited_by FROM groups WHERE gid = ?').get(gid) as
      | Row
      | undefined;
    return row && fromRow(row);
  }

  list(): StoredGroup[] {
    const rows = this.db
      .prepare('SELECT gid, record, member, invited_by FROM groups ORDER BY name, gid')
      .all() as Row[];
    return rows.map(fromRow);
  }

  /** Stores `record` (already checked, §15.4) as the group's state; `invitedBy` marks it pending (§15.7). */
  put(
    record: GroupRecord,
    bytes: Uint8Array,
    member: boolean,
    now: number,
    invitedBy: string | null = null,
    follows = false,
  ): void {
    const gid = toHex(record.gid);
    const before = this.db.prepare('SELECT version, record, member FROM groups WHERE gid = ?').get(gid) as
      | { version: number; record: Buffer; member: number }
      | undefined;
    this.recordJoins(gid, record, before, follows);
    // §25.6 step 2: our epoch is renewed at every change, found by the version; another record of the same version (a
    // competing one taken, §15.7 rule 5) is a change the version does not show, so our epoch ends here.
    if (before && before.version === record.version && !before.record.equals(bytes)) {
      this.db.prepare('DELETE FROM group_sender_own WHERE gid = ?').run(gid);
      this.db.prepare('DELETE FROM group_sender_given WHERE gid = ?').run(gid);
    }
    this.db
      .prepare(`INSERT INTO groups (gid, name, version, record, member, updated_at, invited_by) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (gid) DO UPDATE SET name = excluded.name, version = excluded.version, record = excluded.record,
          member = excluded.member, updated_at = excluded.updated_at, invited_by = excluded.invited_by`)
      .run(gid, record.name, record.version, Buffer.from(bytes), member ? 1 : 0, now, invitedBy);
    // §25.7: out of the group (removed, left), its sender keys are erased in the same transaction.
    if (!member) eraseSenderKeys(this.db, gid);
  }

  /**
   * The version of the record by which `user` last joined `gid` in our chain of records (§15.4 step 6: a leave made
   * before it is an old one, never one that crossed a change); undefined for a group we do not hold.
   */
  joinedAt(gid: string, user: string): number | undefined {
    const row = this.db
      .prepare(`SELECT version FROM group_joins WHERE gid = ? AND user IN (?, '*') ORDER BY user = '*' LIMIT 1`)
      .get(gid, user) as { version: number } | undefined;
    return row?.version;
  }

  /**
   * Keeps `group_joins` with the state `record` replaces (`before`): a change that follows ours (`follows`: checked by
   * §15.4 step 3, the next version of a group we are in) records who it added, at its version, and forgets who it
   * removed; any other state (a creation, an invitation, a competing version, a restore, even at our version + 1) is
   * a chain we did not see, so every member counts as joined at it.
   */
  private recordJoins(
    gid: string,
    record: GroupRecord,
    before: { version: number; record: Buffer; member: number } | undefined,
    follows: boolean,
  ): void {
    const now = record.members.map((x) => x.user);
    if (!follows || before === undefined || before.member !== 1 || record.version !== before.version + 1) {
      this.db.prepare('DELETE FROM group_joins WHERE gid = ?').run(gid);
      this.db.prepare(`INSERT INTO group_joins (gid, user, version) VALUES (?, '*', ?)`).run(gid, record.version);
      return;
    }
    const was = new Set(parseGroupRecord(new Uint8Array(before.record)).members.map((x) => x.user));
    const join = this.db.prepare(
      'INSERT INTO group_joins (gid, user, version) VALUES (?, ?, ?) ON CONFLICT (gid, user) DO UPDATE SET version = excluded.version',
    );
    for (const u of now) if (!was.has(u)) join.run(gid, u, record.version);
    const gone = this.db.prepare('DELETE FROM group_joins WHERE gid = ? AND user = ?');
    for (const u of was) if (!now.includes(u)) gone.run(gid, u);
  }

  /**
   * Keeps a change that does not follow our state yet, ahead of it (§15.4 step 7), replacing one of the same
   * (version, signer); false, and nothing kept, when the group already has MAX_AHEAD_PER_GROUP others or the signer
   * MAX_AHEAD_PER_SIGNER. Kept ones older than `before` go first.
   */
  keepAhead(k: AheadRecord, now: number, before: number): boolean {
    this.db.prepare('DELETE FROM group_ahead WHERE kept_at < ?').run(before);
    const count = (where: string, ...args: unknown[]): number =>
      (
        this.db
          .prepare(`SELECT count(*) AS n FROM group_ahead WHERE gid = ? AND NOT (version = ? AND signer = ?) ${where}`)
          .get(k.gid, k.version, k.signer, ...args) as { n: number }
      ).n;
    if (count('') >= MAX_AHEAD_PER_GROUP || count('AND signer = ?', k.signer) >= MAX_AHEAD_PER_SIGNER) return false;
    // A replacement keeps the first one's time: sending it again does not keep it longer.
    this.db
      .prepare(`INSERT INTO group_ahead (gid, version, signer, record, id, ts, relay_ts, kept_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (gid, version, signer) DO UPDATE SET record = excluded.record, id = excluded.id, ts = excluded.ts,
          relay_ts = excluded.relay_ts`)
      .run(k.gid, k.version, k.signer, Buffer.from(k.record), k.id, k.ts, k.relayTs, now);
    return true;
  }

  /**
   * Takes (removes and returns) the kept changes of `gid` at `version`, in the order they came; drops older versions
   * and what was kept before `before`.
   */
  takeAhead(gid: string, version: number, before: number): AheadRecord[] {
    this.db.prepare('DELETE FROM group_ahead WHERE gid = ? AND (version < ? OR kept_at < ?)').run(gid, version, before);
    const rows = this.db
      .prepare(
        'SELECT gid, version, signer, record, id, ts, relay_ts FROM group_ahead WHERE gid = ? AND version = ? ORDER BY kept_at, rowid',
      )
      .all(gid, version) as (Omit<AheadRecord, 'record' | 'relayTs'> & { record: Buffer; relay_ts: number })[];
    this.db.prepare('DELETE FROM group_ahead WHERE gid = ? AND version = ?').run(gid, version);
    return rows.map(({ relay_ts, record, ...r }) => ({ ...r, record: new Uint8Array(record), relayTs: relay_ts }));
  }

  /** The accepted groups' records as stored (not pending invitations), for a backup (§13.2). */
  forBackup(): { record: Uint8Array; member: boolean }[] {
    const rows = this.db
      .prepare('SELECT record, member FROM groups WHERE invited_by IS NULL ORDER BY name, gid')
      .all() as { record: Buffer; member: number }[];
    return rows.map((r) => ({ record: new Uint8Array(r.record), member: r.member === 1 }));
  }

  /** Accepts a pending invitation (§15.7): the group becomes an ordinary one. */
  accept(gid: string): void {
    this.db.prepare('UPDATE groups SET invited_by = NULL WHERE gid = ?').run(gid);
  }

  /** Declines: the group, its state, its competing invitations and everything held for it are forgotten (§15.7). */
  forget(gid: string): void {
    this.db.prepare('DELETE FROM group_messages WHERE conv = ?').run(`#${gid}`);
    this.db.prepare('DELETE FROM groups WHERE gid = ?').run(gid);
    this.db.prepare('DELETE FROM group_joins WHERE gid = ?').run(gid);
    this.db.prepare('DELETE FROM group_ahead WHERE gid = ?').run(gid);
    this.forgetInvitations(gid);
    eraseSenderKeys(this.db, gid);
  }

  /** Keeps (or replaces) `inviter`'s competing invitation for its group (§15.4 step 4). */
  putInvitation(inviter: string, bytes: Uint8Array, now: number): void {
    const gid = toHex(parseGroupRecord(bytes).gid);
    this.db
      .prepare(`INSERT INTO group_invitations (gid, inviter, record, received_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (gid, inviter) DO UPDATE SET record = excluded.record, received_at = excluded.received_at`)
      .run(gid, inviter, Buffer.from(bytes), now);
  }

  /** Competing invitations, of one group or of all, oldest first. */
  invitations(gid?: string): StoredInvitation[] {
    const rows = (
      gid === undefined
        ? this.db.prepare('SELECT gid, inviter, record FROM group_invitations ORDER BY received_at, gid, inviter').all()
        : this.db
            .prepare('SELECT gid, inviter, record FROM group_invitations WHERE gid = ? ORDER BY received_at, inviter')
            .all(gid)
    ) as { gid: string; inviter: string; record: Buffer }[];
    return rows.map((r) => ({ gid: r.gid, inviter: r.inviter, record: parseGroupRecord(new Uint8Array(r.record)) }));
  }

  forgetInvitation(gid: string, inviter: string): void {
    this.db.prepare('DELETE FROM group_invitations WHERE gid = ? AND inviter = ?').run(gid, inviter);
  }

  forgetInvitations(gid: string): void {
    this.db.prepare('DELETE FROM group_invitations WHERE gid = ?').run(gid);
  }

  /**
   * Whether `user` is a contact for invitation consent (§15.7): we sent them a direct message (a row of ours in
   * history, queued ones included) or verified their safety number. Being pinned is not enough: receiving from a
   * stranger, the invitation itself included, pins them (§4 step 6). A blocked user is never a contact (§17.4).
   */
  isContact(user: string): boolean {
    if (this.db.prepare('SELECT 1 FROM blocked WHERE username = ?').get(user) !== undefined) return false;
    return (
      // A timer line of ours (state `event`) is not a message sent: it does not make them a contact.
      this.db
        .prepare("SELECT 1 FROM messages WHERE peer = ? AND direction = 'out' AND state IS NOT 'event' LIMIT 1")
        .get(user) !== undefined ||
      this.db.prepare("SELECT 1 FROM contacts WHERE username = ? AND trust = 'verified'").get(user) !== undefined
    );
  }

  /** INSERT OR IGNORE on the id: false for a redelivery (§4 step 7). */
  addMessage(m: ConvMessage): boolean {
    return (
      this.db
        .prepare(
          'INSERT OR IGNORE INTO group_messages (id, conv, sender, body, ts, relay_ts, received_at, ref, reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(m.id, m.conv, m.sender, m.body, m.ts, m.relayTs, m.receivedAt, m.ref ?? null, m.replyTo ?? null)
        .changes === 1
    );
  }

  messages(conv: string, limit = -1): ConvMessage[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM (SELECT *, rowid AS r FROM group_messages WHERE conv = ? ORDER BY received_at DESC, rowid DESC LIMIT ?) ORDER BY received_at, r',
      )
      .all(conv, limit) as {
      id: string;
      conv: string;
      sender: string;
      body: string;
      ts: number;
      relay_ts: number | null;
      received_at: number;
      deleted: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      conv: r.conv,
      sender: r.sender,
      // Deleted for everyone (§17.3): the text is gone; what the session shows in its place.
      body: r.deleted === 1 ? 'message deleted' : r.body,
      ts: r.ts,
      relayTs: r.relay_ts,
      receivedAt: r.received_at,
    }));
  }

  joinRoom(room: string, now: number): void {
    this.db.prepare('INSERT OR IGNORE INTO joined_rooms (room, joined_at) VALUES (?, ?)').run(room, now);
  }

  leaveRoom(room: string): void {
    this.db.prepare('DELETE FROM joined_rooms WHERE room = ?').run(room);
  }

  joinedRooms(): string[] {
    return this.db.prepare('SELECT room FROM joined_rooms ORDER BY room').pluck().all() as string[];
  }
}

/** Every sender key of group `gid`: ours, who holds ours, the members' chains, our requests (schema v14, v16, §25.7). */
function eraseSenderKeys(db: Database.Database, gid: string): void {
  for (const t of ['group_sender_own', 'group_sender_given', 'group_sender_peer', 'group_sender_asked']) {
    db.prepare(`DELETE FROM ${t} WHERE gid = ?`).run(gid);
  }
}
