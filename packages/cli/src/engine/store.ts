/**
 * The local store (SQLite, WAL): pinned contacts (§3.4), the message history, and the envelopes that were rejected
 * (§4). History is what `ack` waits for (§9), so commits are synchronous=FULL: a message the relay deleted is on disk.
 *
 * Only commands that need it import this module: loading better-sqlite3 costs start-up time.
 */
import Database from 'better-sqlite3';
import { ChatError } from './errors.js';
import { touchPrivateFile } from './files.js';

export const SCHEMA_VERSION = 1;

export interface Contact {
  username: string;
  identityPublicKey: Uint8Array;
  encryptionPublicKey: Uint8Array;
  /** §3.3, grouped as shown to users. */
  fingerprint: string;
  /** ms since the epoch, when the key was pinned. */
  firstSeen: number;
}

export type Direction = 'in' | 'out';

export interface StoredMessage {
  /** 32 lower-case hex digits. */
  id: string;
  /** The other party: the sender of an incoming message, the recipient of an outgoing one. */
  peer: string;
  direction: Direction;
  body: string;
  /** The sender's signed clock (ms). */
  ts: number;
  /** The relay's receive time (ms), for incoming messages. */
  relayTs: number | null;
  /** When this client committed it (ms). */
  receivedAt: number;
}

export interface RejectedEnvelope {
  id: string;
  /** The §4 error code, e.g. `ENVELOPE_OPEN_FAILED`. */
  reason: string;
  relayTs: number | null;
  rejectedAt: number;
}

const MIGRATIONS: readonly string[] = [
  // v1
  `CREATE TABLE contacts (
     username    TEXT PRIMARY KEY,
     idpk        BLOB NOT NULL,
     encpk       BLOB NOT NULL,
     fingerprint TEXT NOT NULL,
     first_seen  INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE messages (
     id          TEXT PRIMARY KEY,
     peer        TEXT NOT NULL,
     direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
     body        TEXT NOT NULL,
     ts          INTEGER NOT NULL,
     relay_ts    INTEGER,
     received_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX messages_by_peer ON messages (peer, ts);
   CREATE TABLE rejected (
     id          TEXT PRIMARY KEY,
     reason      TEXT NOT NULL,
     relay_ts    INTEGER,
     rejected_at INTEGER NOT NULL
   ) STRICT;`,
];

interface ContactRow {
  username: string;
  idpk: Buffer;
  encpk: Buffer;
  fingerprint: string;
  first_seen: number;
}
interface MessageRow {
  id: string;
  peer: string;
  direction: Direction;
  body: string;
  ts: number;
  relay_ts: number | null;
  received_at: number;
}

export class Store {
  private constructor(private readonly db: Database.Database) {}

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
    const row = this.db.prepare('SELECT * FROM contacts WHERE username = ?').get(username) as ContactRow | undefined;
    return row && toContact(row);
  }

  /** Pins a contact unless one is already pinned under that name; returns the pinned one (§3.4: first use wins). */
  pinContact(contact: Contact): Contact {
    this.db
      .prepare('INSERT OR IGNORE INTO contacts (username, idpk, encpk, fingerprint, first_seen) VALUES (?, ?, ?, ?, ?)')
      .run(contact.username, Buffer.from(contact.identityPublicKey), Buffer.from(contact.encryptionPublicKey), contact.fingerprint, contact.firstSeen);
    const pinned = this.getContact(contact.username);
    if (!pinned) throw new ChatError('UNEXPECTED', `could not pin ${contact.username}`);
    return pinned;
  }

  listContacts(): Contact[] {
    return (this.db.prepare('SELECT * FROM contacts ORDER BY username').all() as ContactRow[]).map(toContact);
  }

  /** Commits a message unless its id is already in the history; true if it was new (§4 step 7). */
  addMessage(m: StoredMessage): boolean {
    const info = this.db
      .prepare('INSERT OR IGNORE INTO messages (id, peer, direction, body, ts, relay_ts, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(m.id, m.peer, m.direction, m.body, m.ts, m.relayTs, m.receivedAt);
    return info.changes === 1;
  }

  hasMessage(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM messages WHERE id = ?').get(id) !== undefined;
  }

  /** History in sender-time order, optionally for one peer; the newest `limit` when given. */
  listMessages({ peer, limit = -1 }: { peer?: string; limit?: number } = {}): StoredMessage[] {
    const where = peer === undefined ? '' : 'WHERE peer = @peer';
    const rows = this.db
      .prepare(`SELECT * FROM (SELECT rowid AS seq, * FROM messages ${where} ORDER BY ts DESC, seq DESC LIMIT @limit) ORDER BY ts, seq`)
      .all(peer === undefined ? { limit } : { peer, limit }) as MessageRow[];
    return rows.map((r) => ({
      id: r.id,
      peer: r.peer,
      direction: r.direction,
      body: r.body,
      ts: r.ts,
      relayTs: r.relay_ts,
      receivedAt: r.received_at,
    }));
  }

  /** Records a rejected envelope (§4 steps 1–6); true if it was not recorded before. */
  addRejected(r: RejectedEnvelope): boolean {
    const info = this.db
      .prepare('INSERT OR IGNORE INTO rejected (id, reason, relay_ts, rejected_at) VALUES (?, ?, ?, ?)')
      .run(r.id, r.reason, r.relayTs, r.rejectedAt);
    return info.changes === 1;
  }

  listRejected(): RejectedEnvelope[] {
    const rows = this.db.prepare('SELECT * FROM rejected ORDER BY rejected_at, rowid').all() as {
      id: string;
      reason: string;
      relay_ts: number | null;
      rejected_at: number;
    }[];
    return rows.map((r) => ({ id: r.id, reason: r.reason, relayTs: r.relay_ts, rejectedAt: r.rejected_at }));
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
  };
}

/** Applies the migrations after `PRAGMA user_version`, each in its own transaction. */
function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new ChatError('PROFILE_CORRUPT', `the history database has schema version ${current}; this chat understands up to ${SCHEMA_VERSION}`, {
      hint: 'upgrade chat',
    });
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    // IMMEDIATE takes the write lock first, and the version is read again under it: when `chat send` and
    // `chat recv` create a profile's database at the same moment, the second one finds the first one's tables
    // instead of creating them again ("table contacts already exists").
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) !== v) return;
      db.exec(MIGRATIONS[v] ?? '');
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
