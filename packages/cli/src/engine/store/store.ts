/**
 * The local store (SQLite, WAL): pinned contacts (§3.4), the message history, and the envelopes that were rejected
 * (§4). History is what `ack` waits for (§9), so commits are synchronous=FULL: a message the relay deleted is on disk.
 *
 * Only commands that need it import this module: loading better-sqlite3 costs start-up time.
 */
import Database from 'better-sqlite3';
import { ChatError } from '../errors.js';
import { touchPrivateFile } from '../files.js';
import { GroupStore } from './groups.js';
import { Outbox } from './outbox.js';
import { FileTable } from './files.js';
import { migrate } from './schema.js';
import { SeenIds } from './seen.js';
import { Statements } from './statements.js';
import type { Contact, Direction, MessageState, NewContact, PendingKey, RejectedEnvelope, StoredMessage, TrustState } from './types.js';

export { SCHEMA_VERSION } from './schema.js';

export type * from './types.js';

interface ContactRow {
  username: string;
  idpk: Buffer;
  encpk: Buffer;
  fingerprint: string;
  first_seen: number;
  trust: TrustState;
  verified_at: number | null;
  pending_idpk: Buffer | null;
  pending_encpk: Buffer | null;
  pending_fingerprint: string | null;
  pending_seen: number | null;
}
interface MessageRow {
  id: string;
  peer: string;
  direction: Direction;
  body: string;
  ts: number;
  relay_ts: number | null;
  received_at: number;
  state: MessageState | null;
}

export class Store {
  /** The outbox, delivery states and conversation settings (schema v2). */
  readonly outbox: Outbox;
  /** File transfers (schema v4). */
  readonly files: FileTable;

  /** Groups, rooms and their messages (schema v4). */
  readonly groups: GroupStore;
  /** Ids seen before a restore from a backup (schema v7). */
  readonly seen: SeenIds;

  private readonly sql: Statements;

  private constructor(private readonly db: Database.Database) {
    this.sql = new Statements(db);
    this.outbox = new Outbox(db, this.sql);
    this.groups = new GroupStore(db);
    this.files = new FileTable(db);
    this.seen = new SeenIds(db);
  }

  /**
   * Opens (creating, mode 0600) and migrates the database at `path`.
   * @throws {ChatError} `PROFILE_CORRUPT` if it is not a chat database of a version this client understands.
   */
  static open(path: string): Store {
    let db: Database.Database | undefined;
    try {
      if (path !== ':memory:') touchPrivateFile(path);
      db = new Database(path);
      // `chat send` may write while `chat recv --follow` holds the database. Set before switching to WAL: that switch
      // takes a lock too, and without a busy timeout two processes opening a new profile at once fail at once.
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrate(db);
      return new Store(db);
    } catch (err) {
      db?.close();
      if (err instanceof ChatError) throw err;
      throw new ChatError('PROFILE_CORRUPT', `cannot open the history database ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  getContact(username: string): Contact | undefined {
    const row = this.sql.get('SELECT * FROM contacts WHERE username = ?').get(username) as ContactRow | undefined;
    return row && toContact(row);
  }

  /** Pins a contact unless one is already pinned under that name; returns the pinned one (§3.4: first use wins). */
  pinContact(contact: NewContact): Contact {
    this.sql
      .get('INSERT OR IGNORE INTO contacts (username, idpk, encpk, fingerprint, first_seen, trust) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        contact.username,
        Buffer.from(contact.identityPublicKey),
        Buffer.from(contact.encryptionPublicKey),
        contact.fingerprint,
        contact.firstSeen,
        contact.trust ?? 'unverified',
      );
    return this.requireContact(contact.username);
  }

  /** Records the relay's new, different key as pending; the accepted key stays. A verified contact loses `verified`. */
  markChanged(username: string, key: PendingKey): Contact {
    this.sql
      .get(
        `UPDATE contacts SET trust = 'changed', verified_at = NULL, pending_idpk = ?, pending_encpk = ?, pending_fingerprint = ?,
           pending_seen = CASE WHEN pending_idpk = ? THEN pending_seen ELSE ? END
         WHERE username = ?`,
      )
      .run(Buffer.from(key.identityPublicKey), Buffer.from(key.encryptionPublicKey), key.fingerprint, Buffer.from(key.identityPublicKey), key.seenAt, username);
    return this.requireContact(username);
  }

  /**
   * Makes `key` the accepted key (or keeps the current one when undefined) with trust `trust`, clearing any pending
   * key; `verifiedAt` is set for `verified`, cleared otherwise.
   */
  acceptKey(username: string, key: Pick<PendingKey, 'identityPublicKey' | 'encryptionPublicKey' | 'fingerprint'> | undefined, trust: 'unverified' | 'verified', at: number): Contact {
    const current = this.requireContact(username);
    const k = key ?? current;
    this.sql
      .get(
        `UPDATE contacts SET idpk = ?, encpk = ?, fingerprint = ?, trust = ?, verified_at = ?,
           pending_idpk = NULL, pending_encpk = NULL, pending_fingerprint = NULL, pending_seen = NULL
         WHERE username = ?`,
      )
      .run(Buffer.from(k.identityPublicKey), Buffer.from(k.encryptionPublicKey), k.fingerprint, trust, trust === 'verified' ? at : null, username);
    return this.requireContact(username);
  }

  /** Writes a contact as it is, replacing one of the same name (restoring a backup, `chat key import`). */
  importContact(c: Contact): void {
    this.sql
      .get(
        `INSERT OR REPLACE INTO contacts (username, idpk, encpk, fingerprint, first_seen, trust, verified_at, pending_idpk, pending_encpk, pending_fingerprint, pending_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.username,
        Buffer.from(c.identityPublicKey),
        Buffer.from(c.encryptionPublicKey),
        c.fingerprint,
        c.firstSeen,
        c.trust,
        c.verifiedAt,
        c.pending ? Buffer.from(c.pending.identityPublicKey) : null,
        c.pending ? Buffer.from(c.pending.encryptionPublicKey) : null,
        c.pending?.fingerprint ?? null,
        c.pending?.seenAt ?? null,
      );
  }

  private requireContact(username: string): Contact {
    const c = this.getContact(username);
    if (!c) throw new ChatError('UNEXPECTED', `no contact ${username} in the store`);
    return c;
  }

  listContacts(): Contact[] {
    return (this.sql.get('SELECT * FROM contacts ORDER BY username').all() as ContactRow[]).map(toContact);
  }

  /** Commits a message unless its id is already in the history; true if it was new (§4 step 7). */
  addMessage(m: StoredMessage): boolean {
    const info = this.sql
      .get('INSERT OR IGNORE INTO messages (id, peer, direction, body, ts, relay_ts, received_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(m.id, m.peer, m.direction, m.body, m.ts, m.relayTs, m.receivedAt, m.state ?? null);
    return info.changes === 1;
  }

  hasMessage(id: string): boolean {
    return this.sql.get('SELECT 1 FROM messages WHERE id = ?').get(id) !== undefined;
  }

  /**
   * History in this client's commit order (received_at, then insertion), optionally for one peer; the newest `limit`
   * when given. Never in the sender's `ts`: that is their claim (§4, "Order of the history").
   */
  listMessages({ peer, limit = -1 }: { peer?: string; limit?: number } = {}): StoredMessage[] {
    const where = peer === undefined ? '' : 'WHERE peer = @peer';
    const rows = this.sql
      .get(`SELECT * FROM (SELECT rowid AS seq, * FROM messages ${where} ORDER BY received_at DESC, seq DESC LIMIT @limit) ORDER BY received_at, seq`)
      .all(peer === undefined ? { limit } : { peer, limit }) as MessageRow[];
    return rows.map((r) => ({
      id: r.id,
      peer: r.peer,
      direction: r.direction,
      body: r.body,
      ts: r.ts,
      relayTs: r.relay_ts,
      receivedAt: r.received_at,
      state: r.state,
    }));
  }

  /** Records a rejected envelope (§4 steps 1–6); true if it was not recorded before. */
  addRejected(r: RejectedEnvelope): boolean {
    const info = this.sql
      .get('INSERT OR IGNORE INTO rejected (id, reason, relay_ts, rejected_at) VALUES (?, ?, ?, ?)')
      .run(r.id, r.reason, r.relayTs, r.rejectedAt);
    return info.changes === 1;
  }

  listRejected(): RejectedEnvelope[] {
    const rows = this.sql.get('SELECT * FROM rejected ORDER BY rejected_at, rowid').all() as {
      id: string;
      reason: string;
      relay_ts: number | null;
      rejected_at: number;
    }[];
    return rows.map((r) => ({ id: r.id, reason: r.reason, relayTs: r.relay_ts, rejectedAt: r.rejected_at }));
  }

  /**
   * Runs `f` in one IMMEDIATE transaction: everything it writes commits together (one fsync) or not at all if it
   * throws. Immediate so that a concurrent writer (`chat send` beside `chat recv --follow`) makes us wait
   * (busy_timeout) instead of failing the upgrade from read to write. Inside another transaction, a savepoint.
   */
  transaction<T>(f: () => T): T {
    return this.db.transaction(f).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toContact(row: ContactRow): Contact {
  return {
    username: row.username,
    identityPublicKey: new Uint8Array(row.idpk),
    encryptionPublicKey: new Uint8Array(row.encpk),
    fingerprint: row.fingerprint,
    firstSeen: row.first_seen,
    trust: row.trust,
    verifiedAt: row.verified_at,
    pending:
      row.pending_idpk && row.pending_encpk && row.pending_fingerprint !== null
        ? {
            identityPublicKey: new Uint8Array(row.pending_idpk),
            encryptionPublicKey: new Uint8Array(row.pending_encpk),
            fingerprint: row.pending_fingerprint,
            seenAt: row.pending_seen ?? 0,
          }
        : null,
  };
}
