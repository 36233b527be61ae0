import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type {
  EnvelopeInput,
  MailboxQuota,
  MailboxStats,
  MailboxStore,
  PutResult,
  Removal,
  StoredEnvelope,
  UserRecord,
} from './mailbox-store.js';
import { RelayStoreError } from '../errors.js';
import type { AccountStore } from './accounts.js';
import { ACCOUNTS_SCHEMA, SqliteAccountStore } from './sqlite-accounts.js';
import type { PrekeyStore } from './prekeys.js';
import { PREKEYS_SCHEMA, SqlitePrekeyStore } from './sqlite-prekeys.js';

const SCHEMA_VERSION = 6;

// Mailbox counters are kept by triggers in the same transaction as the rows, so a quota check is one row read
// instead of a scan of a full mailbox.
const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
CREATE TABLE users (
  username TEXT PRIMARY KEY,
  idpk BLOB NOT NULL,
  encpk BLOB NOT NULL,
  bsig BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  mailbox_count INTEGER NOT NULL DEFAULT 0,
  mailbox_bytes INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE envelopes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient TEXT NOT NULL REFERENCES users(username),
  id BLOB NOT NULL,
  envelope BLOB NOT NULL,
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  UNIQUE (recipient, id)
) STRICT;
CREATE INDEX envelopes_mailbox ON envelopes (recipient, seq);
CREATE INDEX envelopes_expiry ON envelopes (expires_at);
CREATE TRIGGER envelopes_count_insert AFTER INSERT ON envelopes BEGIN
  UPDATE users SET mailbox_count = mailbox_count + 1, mailbox_bytes = mailbox_bytes + NEW.size
  WHERE username = NEW.recipient;
END;
CREATE TRIGGER envelopes_count_delete AFTER DELETE ON envelopes BEGIN
  UPDATE users SET mailbox_count = mailbox_count - 1, mailbox_bytes = mailbox_bytes - OLD.size
  WHERE username = OLD.recipient;
END;
`;

// Version 3: per-sender shares of a mailbox (§11). `sender_tag` is an opaque per-process tag (sender-share.ts), never a
// name; `mailbox_shares` counts each tag's envelopes and bytes per mailbox, kept by triggers like the mailbox counters.
const SHARES_SCHEMA = `
ALTER TABLE envelopes ADD COLUMN sender_tag BLOB;
CREATE TABLE mailbox_shares (
  recipient TEXT NOT NULL,
  tag BLOB NOT NULL,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (recipient, tag)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER envelopes_share_insert AFTER INSERT ON envelopes WHEN NEW.sender_tag IS NOT NULL BEGIN
  INSERT OR IGNORE INTO mailbox_shares (recipient, tag, count, bytes) VALUES (NEW.recipient, NEW.sender_tag, 0, 0);
  UPDATE mailbox_shares SET count = count + 1, bytes = bytes + NEW.size
  WHERE recipient = NEW.recipient AND tag = NEW.sender_tag;
END;
CREATE TRIGGER envelopes_share_delete AFTER DELETE ON envelopes WHEN OLD.sender_tag IS NOT NULL BEGIN
  DELETE FROM mailbox_shares WHERE recipient = OLD.recipient AND tag = OLD.sender_tag AND count <= 1;
  UPDATE mailbox_shares SET count = count - 1, bytes = bytes - OLD.size
  WHERE recipient = OLD.recipient AND tag = OLD.sender_tag;
END;
`;

// Version 4: when an account first logged in again after registering (§11 `unusedAccountTtlMs`). NULL: never, and
// such an account expires; accounts from before this version count as in use.
const RETURNS_SCHEMA = `
ALTER TABLE users ADD COLUMN returned_at INTEGER;
UPDATE users SET returned_at = created_at;
CREATE INDEX users_unused ON users (created_at) WHERE returned_at IS NULL;
`;

// Version 5: per-address shares of a mailbox (§11). `address_tag` is an opaque per-process tag of the source address
// (sender-share.ts); address tags are counted in `mailbox_shares` beside sender tags (the HMAC's kind byte keeps the
// two apart). Envelopes from before count against no address.
const ADDRESS_SHARES_SCHEMA = `
ALTER TABLE envelopes ADD COLUMN address_tag BLOB;
CREATE TRIGGER envelopes_address_share_insert AFTER INSERT ON envelopes WHEN NEW.address_tag IS NOT NULL BEGIN
  INSERT OR IGNORE INTO mailbox_shares (recipient, tag, count, bytes) VALUES (NEW.recipient, NEW.address_tag, 0, 0);
  UPDATE mailbox_shares SET count = count + 1, bytes = bytes + NEW.size
  WHERE recipient = NEW.recipient AND tag = NEW.address_tag;
END;
CREATE TRIGGER envelopes_address_share_delete AFTER DELETE ON envelopes WHEN OLD.address_tag IS NOT NULL BEGIN
  DELETE FROM mailbox_shares WHERE recipient = OLD.recipient AND tag = OLD.address_tag AND count <= 1;
  UPDATE mailbox_shares SET count = count - 1, bytes = bytes - OLD.size
  WHERE recipient = OLD.recipient AND tag = OLD.address_tag;
END;
`;

/**
 * What upgrades a database of version `n` to `n + 1`, for n = 1.. (version 0 is a new file: SCHEMA, then every step).
 * Version 6 (PROTOCOL.md §23): the prekey directory.
 */
const MIGRATIONS: readonly string[] = [
  ACCOUNTS_SCHEMA, // 1 → 2: bans and invites
  SHARES_SCHEMA, // 2 → 3: per-sender shares; existing envelopes count against no sender
  RETURNS_SCHEMA, // 3 → 4: return times
  ADDRESS_SHARES_SCHEMA, // 4 → 5: per-address shares
  PREKEYS_SCHEMA, // 5 → 6: prekeys
];

interface UserRow {
  username: string;
  idpk: Buffer;
  encpk: Buffer;
  bsig: Buffer;
  created_at: number;
  mailbox_count: number;
  mailbox_bytes: number;
}

function toUser(row: UserRow): UserRecord {
  return {
    username: row.username,
    identityPublicKey: new Uint8Array(row.idpk),
    encryptionPublicKey: new Uint8Array(row.encpk),
    bundleSignature: new Uint8Array(row.bsig),
    createdAt: row.created_at,
  };
}

function prepareStatements(db: Database.Database) {
  return {
    getUser: db.prepare('SELECT * FROM users WHERE username = ?'),
    hasUser: db.prepare('SELECT 1 FROM users WHERE username = ?').pluck(),
    insertUser: db.prepare(
      'INSERT OR IGNORE INTO users (username, idpk, encpk, bsig, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    counters: db.prepare('SELECT mailbox_count, mailbox_bytes FROM users WHERE username = ?'),
    exists: db.prepare('SELECT 1 FROM envelopes WHERE recipient = ? AND id = ?').pluck(),
    insertEnvelope: db.prepare(
      'INSERT OR IGNORE INTO envelopes (recipient, id, envelope, size, received_at, expires_at, sender_tag, address_tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    share: db.prepare('SELECT count, bytes FROM mailbox_shares WHERE recipient = ? AND tag = ?'),
    list: db.prepare(
      'SELECT seq, id, envelope, received_at FROM envelopes WHERE recipient = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    remove: db.prepare('DELETE FROM envelopes WHERE recipient = ? AND id = ?'),
    expire: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),
  };
}

/**
 * Opens (creating if needed) the relay database at `file`: WAL mode with `synchronous=FULL`, so a commit that
 * returned is on disk even after a power loss, not just a process crash (PROTOCOL.md §9: stored before `sent`).
 *
 * @throws RelayStoreError `STORE_CORRUPT` if the file is not a database or fails SQLite's integrity check,
 *   `STORE_VERSION` if it was written by a newer relay.
 */
export function openSqliteStore(file: string): MailboxStore {
  return openSqliteStores(file).store;
}

/**
 * Copies the WAL into the database and truncates it to zero bytes (when no reader holds it). With `secure_delete`,
 * a deleted envelope is zeroed in the database pages at once, but the WAL frames that wrote it stay in the WAL file
 * until it is checkpointed and rewritten: this ends them (SECURITY.md "What the relay keeps").
 */
function scrubWal(db: Database.Database): void {
  if (db.open) db.pragma('wal_checkpoint(TRUNCATE)');
}

/** The stores on one relay database, and `scrub` (see `scrubWal`). */
export interface SqliteStores {
  store: MailboxStore;
  accounts: AccountStore;
  prekeys: PrekeyStore;
  scrub(): void;
}

/** Like `openSqliteStore`, and also the account administration (§14) and prekeys (§23) on the same database. */
export function openSqliteStores(file: string): SqliteStores {
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Deleted rows (acknowledged envelopes, handed-out one-time prekeys) are overwritten with zeros, not left in
    // free space where a copy of the file would still hold them (issue 13 item 9). Per connection, so set each open.
    db.pragma('secure_delete = ON');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new RelayStoreError('STORE_CORRUPT', `integrity check failed: ${String(check)}`);
  } catch (err) {
    if (err instanceof RelayStoreError) throw err;
    throw new RelayStoreError('STORE_CORRUPT', `cannot open ${file}: ${(err as Error).message}`);
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    db.close();
    throw new RelayStoreError('STORE_VERSION', `database schema ${version} is not ${SCHEMA_VERSION}`);
  }
  if (version < SCHEMA_VERSION) {
    db.transaction(() => {
      if (version === 0) {
        db.exec(SCHEMA);
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('relay_id', randomBytes(32));
      }
      for (const step of MIGRATIONS.slice(Math.max(version, 1) - 1)) db.exec(step);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
  try {
    return {
      store: new SqliteMailboxStore(db),
      accounts: new SqliteAccountStore(db),
      prekeys: new SqlitePrekeyStore(db),
      scrub: () => scrubWal(db),
    };
  } catch (err) {
    db.close();
    if (err instanceof RelayStoreError) throw err;
    throw new RelayStoreError('STORE_CORRUPT', `cannot use ${file}: ${(err as Error).message}`);
  }
}

/**
 * better-sqlite3 is synchronous: every method does its whole transaction inside the call and returns a settled
 * promise, so the relay's behaviour on SQLite is what it was when this interface was synchronous.
 */
class SqliteMailboxStore implements MailboxStore {
  readonly relayId: Uint8Array;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private readonly putBatch: (items: readonly EnvelopeInput[], quota: MailboxQuota) => PutResult[];
  private readonly removeBatch: (recipient: string, ids: readonly Uint8Array[]) => number;
  private readonly commitBatch: (
    removals: readonly Removal[],
    items: readonly EnvelopeInput[],
    quota: MailboxQuota,
  ) => PutResult[];

  constructor(private readonly db: Database.Database) {
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('relay_id') as { value: Buffer } | undefined;
    if (row?.value.length !== 32) throw new RelayStoreError('STORE_CORRUPT', 'relay id missing');
    this.relayId = new Uint8Array(row.value);
    this.stmt = prepareStatements(db);
    this.putBatch = db.transaction((items: readonly EnvelopeInput[], quota: MailboxQuota) =>
      items.map((item) => this.putOne(item, quota)),
    );
    this.removeBatch = db.transaction((recipient: string, ids: readonly Uint8Array[]) =>
      this.removeSome(recipient, ids),
    );
    this.commitBatch = db.transaction(
      (removals: readonly Removal[], items: readonly EnvelopeInput[], quota: MailboxQuota) => {
        for (const r of removals) this.removeSome(r.recipient, r.ids);
        return items.map((item) => this.putOne(item, quota));
      },
    );
  }

  private removeSome(recipient: string, ids: readonly Uint8Array[]): number {
    let n = 0;
    for (const id of ids) n += this.stmt.remove.run(recipient, id).changes;
    return n;
  }

  private putOne(item: EnvelopeInput, quota: MailboxQuota): PutResult {
    const counters = this.stmt.counters.get(item.recipient) as
      | { mailbox_count: number; mailbox_bytes: number }
      | undefined;
    if (!counters) return 'unknown_recipient';
    const size = item.envelope.length;
    if (counters.mailbox_count + 1 > quota.maxMessages || counters.mailbox_bytes + size > quota.maxBytes) {
      // A retried send of an envelope already stored is still `duplicate` (answered `sent`), full or not.
      return this.stmt.exists.get(item.recipient, item.id) !== undefined ? 'duplicate' : 'mailbox_full';
    }
    if (
      this.overShare(item.recipient, item.senderTag, quota.perSender, size) ||
      this.overShare(item.recipient, item.addressTag, quota.perAddress, size)
    ) {
      return this.stmt.exists.get(item.recipient, item.id) !== undefined ? 'duplicate' : 'mailbox_full';
    }
    // UNIQUE (recipient, id): an insert that changes nothing is a duplicate.
    const { changes } = this.stmt.insertEnvelope.run(
      item.recipient,
      item.id,
      item.envelope,
      size,
      item.receivedAt,
      item.expiresAt,
      item.senderTag ?? null,
      item.addressTag ?? null,
    );
    return changes === 1 ? 'stored' : 'duplicate';
  }

  /** Whether one more envelope of `size` bytes under `tag` would exceed `share` of the mailbox. */
  private overShare(
    recipient: string,
    tag: Uint8Array | undefined,
    share: MailboxQuota['perSender'],
    size: number,
  ): boolean {
    if (!tag || !share) return false;
    const held = this.stmt.share.get(recipient, tag) as { count: number; bytes: number } | undefined;
    return held !== undefined && (held.count + 1 > share.maxMessages || held.bytes + size > share.maxBytes);
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    return this.getUserNow(username);
  }

  private getUserNow(username: string): UserRecord | undefined {
    const row = this.stmt.getUser.get(username) as UserRow | undefined;
    return row ? toUser(row) : undefined;
  }

  async hasUser(username: string): Promise<boolean> {
    return this.stmt.hasUser.get(username) !== undefined;
  }

  async registerUser(user: UserRecord): Promise<{ created: boolean; user: UserRecord }> {
    const info = this.stmt.insertUser.run(
      user.username,
      user.identityPublicKey,
      user.encryptionPublicKey,
      user.bundleSignature,
      user.createdAt,
    );
    const stored = this.getUserNow(user.username);
    if (!stored) throw new RelayStoreError('STORE_CORRUPT', 'registered user vanished');
    return { created: info.changes === 1, user: stored };
  }

  async putMany(items: readonly EnvelopeInput[], quota: MailboxQuota): Promise<PutResult[]> {
    return items.length === 0 ? [] : this.putBatch(items, quota);
  }

  async list(recipient: string, afterSeq: number, limit: number): Promise<StoredEnvelope[]> {
    const rows = this.stmt.list.all(recipient, afterSeq, limit) as {
      seq: number;
      id: Buffer;
      envelope: Buffer;
      received_at: number;
    }[];
    return rows.map((r) => ({ seq: r.seq, id: r.id, envelope: r.envelope, receivedAt: r.received_at }));
  }

  async remove(recipient: string, ids: readonly Uint8Array[]): Promise<number> {
    return ids.length === 0 ? 0 : this.removeBatch(recipient, ids);
  }

  async commit(
    removals: readonly Removal[],
    items: readonly EnvelopeInput[],
    quota: MailboxQuota,
  ): Promise<PutResult[]> {
    return removals.length === 0 && items.length === 0 ? [] : this.commitBatch(removals, items, quota);
  }

  async expire(now: number): Promise<number> {
    return this.stmt.expire.run(now).changes;
  }

  async stats(recipient: string): Promise<MailboxStats> {
    const c = this.stmt.counters.get(recipient) as { mailbox_count: number; mailbox_bytes: number } | undefined;
    return { count: c?.mailbox_count ?? 0, bytes: c?.mailbox_bytes ?? 0 };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
