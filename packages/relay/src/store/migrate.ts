/**
 * `chat-relay migrate --to postgres://…` (issue 17): copies a stopped SQLite relay's data directory into an empty
 * PostgreSQL database. A direct copy, table by table, rather than a replay through the store interfaces: the
 * interfaces cannot say what the copy must keep (the relay id, invite hashes, ban reasons and times, envelope expiry
 * times, return times), and the PostgreSQL tables mirror the SQLite ones column for column (postgres-schema.ts).
 *
 * Everything is one PostgreSQL transaction: a failed or interrupted migration leaves the database as it was, and the
 * source is only read (after the relay's own open has brought its schema up to date). Envelopes and one-time prekeys
 * are inserted in their SQLite order, so each mailbox keeps its order and each prekey queue its oldest-first order;
 * the mailbox and share counters are rebuilt by the database's own triggers as the rows go in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { copyBlobs, copyTlsPair } from './migrate-files.js';
import { preparePgSchema } from './postgres-schema.js';
import { types } from './postgres-pool.js';
import { openSqliteStores } from './sqlite-store.js';

export type MigrateCode = 'NO_SOURCE' | 'TARGET_NOT_EMPTY' | 'TARGET_UNAVAILABLE';

export class MigrateError extends Error {
  override readonly name = 'MigrateError';
  constructor(
    readonly code: MigrateCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Rows copied per table (`blobChunks`: sealed chunks of the blobs). */
export interface MigrateCounts {
  users: number;
  envelopes: number;
  bans: number;
  invites: number;
  roomMembers: number;
  prekeys: number;
  blobs: number;
  blobChunks: number;
  /** 1 if the data directory's TLS pair went into the database (what every relay on it then serves), else 0. */
  certificate: number;
}

/** Called after each batch: the table, rows copied so far, rows it has in all. */
export type Progress = (table: keyof MigrateCounts, done: number, total: number) => void;

/** The tables a relay writes: any row in one of them and the target is not empty. */
const TARGET_TABLES = ['users', 'envelopes', 'bans', 'invites', 'room_members', 'blobs', 'prekeys'];
const BATCH_ROWS = 200;

type Col = [name: string, pgType: string];

/** Inserts `rows` (arrays in `cols` order) in one statement, keeping their order (`WITH ORDINALITY … ORDER BY`). */
async function insertRows(c: pg.PoolClient, table: string, cols: readonly Col[], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const names = cols.map(([n]) => n).join(', ');
  const arrays = cols.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ');
  const params = cols.map((_, i) => rows.map((r) => r[i] ?? null));
  await c.query(
    `INSERT INTO ${table} (${names}) SELECT ${names} FROM unnest(${arrays}) WITH ORDINALITY AS u(${names}, ord) ORDER BY ord`,
    params,
  );
}

/** Copies a SQLite table in `key` order, BATCH_ROWS at a time (keyset pages, so no statement stays open). */
async function copyTable(
  src: Database.Database,
  c: pg.PoolClient,
  table: string,
  key: string,
  cols: readonly Col[],
  progress: (done: number, total: number) => void,
  into = table,
): Promise<number> {
  const total = (src.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number) ?? 0;
  const names = cols.map(([n]) => n).join(', ');
  const first = src.prepare(`SELECT ${key} AS k, ${names} FROM ${table} ORDER BY ${key} LIMIT ${BATCH_ROWS}`);
  const next = src.prepare(
    `SELECT ${key} AS k, ${names} FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ${BATCH_ROWS}`,
  );
  let done = 0;
  let last: unknown;
  for (;;) {
    const rows = (done === 0 ? first.all() : next.all(last)) as Record<string, unknown>[];
    if (rows.length === 0) break;
    await insertRows(
      c,
      into,
      cols,
      rows.map((r) => cols.map(([n]) => r[n])),
    );
    done += rows.length;
    last = rows[rows.length - 1]!.k;
    progress(done, total);
  }
  return done;
}

/**
 * Copies the relay state of `dataDir` (a stopped SQLite relay's) into the empty database at `url`.
 * @throws MigrateError NO_SOURCE (no relay.db), TARGET_NOT_EMPTY (a relay already wrote there: nothing is copied),
 *   TARGET_UNAVAILABLE (cannot connect); RelayStoreError from opening the SQLite source or the PostgreSQL schema.
 */
export async function migrateToPostgres(dataDir: string, url: string, progress: Progress): Promise<MigrateCounts> {
  const relayDb = join(dataDir, 'relay.db');
  if (!existsSync(relayDb)) {
    throw new MigrateError('NO_SOURCE', `${relayDb} does not exist`, "give --data the stopped relay's data directory");
  }
  // The relay's own open first: it checks the file and brings an older schema up to date, as a start would.
  await openSqliteStores(relayDb).store.close();
  const src = new Database(relayDb, { readonly: true, fileMustExist: true });
  const roomsDb = join(dataDir, 'rooms.db');
  const rooms = existsSync(roomsDb) ? new Database(roomsDb, { readonly: true, fileMustExist: true }) : undefined;
  const pool = new pg.Pool({ connectionString: url, max: 1, types });
  pool.on('error', () => {});
  const counts: MigrateCounts = {
    users: 0,
    envelopes: 0,
    bans: 0,
    invites: 0,
    roomMembers: 0,
    prekeys: 0,
    blobs: 0,
    blobChunks: 0,
    certificate: 0,
  };
  try {
    const c = await pool.connect().catch((err: Error) => {
      throw new MigrateError('TARGET_UNAVAILABLE', `cannot connect to PostgreSQL: ${err.message}`);
    });
    try {
      await preparePgSchema(c);
      await c.query('BEGIN');
      // Relays starting meanwhile wait for the copy rather than register accounts into a half-copied database.
      await c.query(`LOCK TABLE ${TARGET_TABLES.join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
      for (const t of TARGET_TABLES) {
        if ((await c.query(`SELECT 1 FROM ${t} LIMIT 1`)).rowCount !== 0) {
          throw new MigrateError(
            'TARGET_NOT_EMPTY',
            `the database already holds relay data (table ${t}); nothing was copied`,
            'migrate into a new, empty database (or schema)',
          );
        }
      }
      await copyAll(src, rooms, c, counts, progress);
      const blobs = await copyBlobs(dataDir, c, (done, total) => progress('blobs', done, total));
      counts.blobs = blobs.blobs;
      counts.blobChunks = blobs.chunks;
      counts.certificate = await copyTlsPair(dataDir, c);
      await c.query('COMMIT');
      c.release();
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      c.release(err instanceof Error ? err : undefined);
      throw err;
    }
  } finally {
    src.close();
    rooms?.close();
    await pool.end().catch(() => {});
  }
  return counts;
}

async function copyAll(
  src: Database.Database,
  rooms: Database.Database | undefined,
  c: pg.PoolClient,
  counts: MigrateCounts,
  progress: Progress,
): Promise<void> {
  // Clients pin the relay id (PROTOCOL.md §8): the database takes the SQLite relay's, replacing the one made empty.
  const id = src.prepare("SELECT value FROM meta WHERE key = 'relay_id'").pluck().get() as Buffer;
  await c.query("UPDATE relay_meta SET value = $1 WHERE key = 'relay_id'", [id]);
  const b = (t: keyof MigrateCounts) => (done: number, total: number) => progress(t, done, total);
  counts.users = await copyTable(
    src,
    c,
    'users',
    'username',
    [
      ['username', 'text'],
      ['idpk', 'bytea'],
      ['encpk', 'bytea'],
      ['bsig', 'bytea'],
      ['created_at', 'bigint'],
      ['returned_at', 'bigint'],
    ],
    b('users'),
  );
  counts.envelopes = await copyTable(
    src,
    c,
    'envelopes',
    'seq',
    [
      ['recipient', 'text'],
      ['id', 'bytea'],
      ['envelope', 'bytea'],
      ['size', 'integer'],
      ['received_at', 'bigint'],
      ['expires_at', 'bigint'],
      ['sender_tag', 'bytea'],
      ['address_tag', 'bytea'],
    ],
    b('envelopes'),
  );
  const bans: Col[] = [
    ['username', 'text'],
    ['reason', 'text'],
    ['banned_at', 'bigint'],
  ];
  counts.bans = await copyTable(src, c, 'bans', 'username', bans, b('bans'));
  const invites: Col[] = [
    ['code_hash', 'bytea'],
    ['created_at', 'bigint'],
    ['expires_at', 'bigint'],
    ['used_by', 'text'],
    ['used_at', 'bigint'],
  ];
  counts.invites = await copyTable(src, c, 'invites', 'code_hash', invites, b('invites'));
  const prekeys: Col[] = [
    ['owner', 'text'],
    ['type', 'smallint'],
    ['key_id', 'bigint'],
    ['key', 'bytea'],
    ['sig', 'bytea'],
  ];
  counts.prekeys = await copyTable(src, c, 'prekeys', 'seq', prekeys, b('prekeys'));
  if (rooms) {
    const members: Col[] = [
      ['room', 'text'],
      ['username', 'text'],
      ['joined_at', 'bigint'],
    ];
    // rowid: room_members has no single-column key, and the order does not matter.
    counts.roomMembers = await copyTable(rooms, c, 'room_members', 'rowid', members, b('roomMembers'));
  }
}
