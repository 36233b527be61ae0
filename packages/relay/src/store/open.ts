/**
 * Opens the relay's stores on the engine the operator chose (`--store`, issue 17): without a URL, SQLite files in the
 * data directory exactly as before (`relay.db`, `rooms.db`); with `postgres://…`, one PostgreSQL database that several
 * relays may share.
 */
import { join } from 'node:path';
import type { BlobLimits, Blobs } from '../blobs/rules.js';
import { BlobStore, fileBlobs } from '../blobs/store.js';
import { touchDataFile } from '../data-dir.js';
import { RelayStoreError } from '../errors.js';
import type { AccountStore } from './accounts.js';
import type { MailboxStore } from './mailbox-store.js';
import type { PrekeyStore } from './prekeys.js';
import type { RoomStore } from './rooms.js';
import { openSqliteStores } from './sqlite-store.js';
import { SqliteRoomStore } from './sqlite-rooms.js';

export interface RelayStores {
  engine: 'sqlite' | 'postgres';
  store: MailboxStore;
  accounts: AccountStore;
  rooms: RoomStore;
  /** The prekey directory (PROTOCOL.md §23). */
  prekeys: PrekeyStore;
  /**
   * Pushes what deleted rows left in a write-ahead log out of it (SQLite: checkpoint and truncate the WAL, see
   * sqlite-store.ts); PostgreSQL: nothing (its WAL is the server operator's, SECURITY.md).
   */
  scrub(): Promise<void>;
  /** File blobs under `limits`: files in `<dataDir>/blobs` (SQLite) or rows beside the mailboxes (PostgreSQL). */
  blobs(limits: BlobLimits): Blobs;
  /** Closes every store (and the engine's connections). */
  close(): Promise<void>;
}

/** True if `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** `url` with its password (if any) replaced by `***`, for messages and `config --sources`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * @param dataDir the checked data directory (data-dir.ts)
 * @param url `postgres://user@host:port/db`, or undefined for SQLite in `dataDir`
 * @throws RelayStoreError as the engine's open (`STORE_CORRUPT`, `STORE_VERSION`, `STORE_UNAVAILABLE`)
 */
export async function openRelayStores(dataDir: string, url: string | undefined): Promise<RelayStores> {
  if (url !== undefined) {
    if (!isPostgresUrl(url)) {
      throw new RelayStoreError('STORE_UNAVAILABLE', 'store must be a postgres:// URL (or unset, for SQLite)');
    }
    // Loaded only when asked for in the workspace build (the packed bundle inlines it; `pg` is a dependency anyway).
    const { openPostgresStores } = await import('./postgres-store.js');
    const pg = await openPostgresStores(url);
    return { engine: 'postgres', ...pg, scrub: async () => {}, close: () => pg.store.close() };
  }
  // The databases are created 0600 (SQLite would use the umask, 0644), never through a symlink.
  for (const f of ['relay.db', 'rooms.db']) touchDataFile(join(dataDir, f));
  const { store, accounts, prekeys, scrub } = openSqliteStores(join(dataDir, 'relay.db'));
  let rooms: RoomStore;
  try {
    rooms = new SqliteRoomStore(join(dataDir, 'rooms.db'));
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    engine: 'sqlite',
    store,
    accounts,
    rooms,
    prekeys,
    scrub: async () => scrub(),
    blobs: (limits) => fileBlobs(new BlobStore(join(dataDir, 'blobs'), limits)),
    close: async () => {
      await store.close();
      await rooms.close();
    },
  };
}
