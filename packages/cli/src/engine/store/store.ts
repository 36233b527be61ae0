/**
 * The local store (SQLite, WAL, encrypted at rest under the storage key: encrypted-db.ts, §13.3), the composition of one module per table: contacts.ts (§3.4), messages.ts, rejected.ts
 * (§4), outbox.ts, groups.ts, files.ts, history.ts. History is what `ack` waits for (§9), so commits are synchronous=FULL: a message
 * the relay deleted is on disk. The one exception is the removal of an outbox entry the relay has stored
 * (`Outbox.removeSent`): undone by a power loss, it only sends that entry again, which the recipient drops.
 *
 * Only commands that need it import this module: loading the SQLite addon costs start-up time.
 */
import { ChatError } from '../errors.js';
import { openEncrypted, type Db } from './encrypted-db.js';
import { ContactTable } from './contacts.js';
import { GroupStore } from './groups.js';
import { HistoryTable } from './history.js';
import { BlockedTable } from './blocked.js';
import { NicknameTable } from './nicknames.js';
import { TimerTable } from './timers.js';
import { MessageTable } from './messages.js';
import { RejectedTable } from './rejected.js';
import { Outbox } from './outbox.js';
import { FileTable } from './files.js';
import { migrate } from './schema.js';
import { SeenIds } from './seen.js';
import { Statements } from './statements.js';
import { SenderKeyTable } from './sender-keys.js';
import { V2Table } from './v2.js';
import { RecoveryTable } from './recovery.js';
import { HeldTable } from './held.js';

export { SCHEMA_VERSION } from './schema.js';

export type * from './types.js';

export interface OpenOptions {
  /**
   * The page cache in KiB (PRAGMA cache_size, per connection), for the short-lived commands that scan the history
   * once (`chat search`): SQLite3 Multiple Ciphers' default is 16,000 KiB, so a scan of a 15 MB chat.db allocated and
   * faulted in a cache page for every page it decrypted — about 60 % of the scan's CPU, and a page read once is never
   * read again. (A map, PRAGMA mmap_size, helped before chat.db was encrypted; with the cipher SQLite reads and
   * decrypts every page anyway.) Unset, the default.
   */
  cacheKiB?: number;
}

export class Store {
  /** Pinned contacts and their trust (§3.4). */
  readonly contacts: ContactTable;
  /** The 1:1 history. */
  readonly messages: MessageTable;
  /** Envelopes rejected on receipt (§4). */
  readonly rejected: RejectedTable;
  /** The outbox, delivery states and conversation settings (schema v2). */
  readonly outbox: Outbox;
  /** File transfers (schema v4). */
  readonly files: FileTable;
  /** Groups, rooms and their messages (schema v4). */
  readonly groups: GroupStore;
  /** Ids seen before a restore from a backup (schema v7). */
  readonly seen: SeenIds;
  /** Edits, deletes, reactions and the history as shown (schema v10). */
  readonly history: HistoryTable;
  /** Blocked users (schema v10). */
  readonly blocked: BlockedTable;
  /** Local nicknames (schema v11). */
  readonly nicknames: NicknameTable;
  /** Disappearing-message timers and the sweep (schema v11). */
  readonly timers: TimerTable;
  /** Protocol v2: prekeys, sessions, replay keys, v2 peers (schema v13). */
  readonly v2: V2Table;
  /** Group sender keys: our chains, who holds them, members' chains (schema v14, PROTOCOL.md §25). */
  readonly senderKeys: SenderKeyTable;
  /** Recovery of lost v2 sessions (§24.7). */
  readonly recovery: RecoveryTable;
  /** Actions kept for their target, group messages kept for their sender key (schema v17, §17.6, §25.10). */
  readonly held: HeldTable;

  private constructor(private readonly db: Db) {
    const sql = new Statements(db);
    this.contacts = new ContactTable(sql);
    this.messages = new MessageTable(sql);
    this.rejected = new RejectedTable(sql);
    this.outbox = new Outbox(db, sql);
    this.files = new FileTable(db);
    this.seen = new SeenIds(db);
    this.groups = new GroupStore(db);
    this.history = new HistoryTable(db, sql);
    this.nicknames = new NicknameTable(sql);
    this.timers = new TimerTable(db);
    this.v2 = new V2Table(sql);
    this.senderKeys = new SenderKeyTable(sql);
    this.recovery = new RecoveryTable(sql);
    this.blocked = new BlockedTable(db, sql);
    this.held = new HeldTable(sql);
  }

  /**
   * Opens (creating, mode 0600) the database at `path` with the profile's storage key (§13.3; a plaintext one from
   * before is encrypted first) and migrates its schema.
   * @throws {ChatError} `HISTORY_UNREADABLE` if it does not open with this key; `PROFILE_CORRUPT` if it is not a chat
   *   database of a version this client understands.
   */
  static open(path: string, storageKey: Uint8Array, options: OpenOptions = {}): Store {
    let db: Db | undefined;
    try {
      db = openEncrypted(path, storageKey);
      // `chat send` may write while `chat recv --follow` holds the database. Set before switching to WAL: that switch
      // takes a lock too, and without a busy timeout two processes opening a new profile at once fail at once.
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // Deleted for everyone or for me (§17.3) means gone: SQLite otherwise leaves a deleted or shortened row's bytes
      // in free space of the page (and of freed pages) for anyone who later reads chat.db. Per connection.
      db.pragma('secure_delete = ON');
      if (options.cacheKiB) db.pragma(`cache_size = ${-Math.floor(options.cacheKiB)}`);
      migrate(db);
      const store = new Store(db);
      // §17.5: what expired while no client ran is gone before anything reads the history. A database busy beyond the
      // timeout (another process writing) must not fail the command: that process sweeps, or the next start does.
      try {
        store.timers.sweep(Date.now());
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      }
      return store;
    } catch (err) {
      db?.close();
      if (err instanceof ChatError) throw err;
      throw new ChatError('PROFILE_CORRUPT', `cannot open the history database ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * Runs `f` in one IMMEDIATE transaction: everything it writes commits together (one fsync) or not at all if it
   * throws. Immediate so that a concurrent writer (`chat send` beside `chat recv --follow`) makes us wait
   * (busy_timeout) instead of failing the upgrade from read to write. Inside another transaction, a savepoint.
   */
  transaction<T>(f: () => T): T {
    return this.db.transaction(f).immediate();
  }

  /**
   * SQLite's `data_version`: it changes when another connection (another process of this profile, `chat trust` in
   * another terminal) committed to chat.db since this connection last looked; our own commits leave it alone.
   */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
