/**
 * `chat-relay migrate --to postgres://…`: copies a stopped SQLite relay's data directory into an empty PostgreSQL
 * database (store/migrate.ts; docs/SCALING.md "Migrating a SQLite relay").
 */
import { unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { CONTROL_SOCKET, controlSocketAlive } from '../admin/control.js';
import { RelayStoreError } from '../errors.js';
import { isPostgresUrl, redactUrl } from '../store/open.js';
import { CommandError, RelayExit } from './common.js';
import { configFrom, parse } from './flags.js';

export const MIGRATE_HELP = `Usage: chat-relay migrate --to postgres://user@host:port/db [--data DIR] [--json] [--quiet]

Copies the state of a stopped relay on SQLite (DIR/relay.db, DIR/rooms.db, DIR/blobs/) into an empty PostgreSQL
database: accounts and key bundles, waiting envelopes in their order, rooms, bans, invites, prekeys, files. One
transaction: a failed migration copies nothing. The source is only read. The relay id and the TLS key pair move
with the data, so clients' pins hold whichever relay on the database answers. Start those relays after the copy.

Refuses (exit 4) while a relay runs on DIR, or when the database already holds relay data (TARGET_NOT_EMPTY).
Progress on stderr; --json prints one JSON object with the counts on stdout.

Examples:
  chat-relay migrate --data /var/lib/chat-relay --to postgres://chat@db.internal:5432/chat
  chat-relay migrate --json --quiet --data ./relay --to 'postgres://chat:secret@127.0.0.1/chat' | jq .counts
`;

/**
 * Holds DIR's control socket for the length of the copy: a relay started on DIR meanwhile finds it answering and
 * refuses to start (DATA_DIR_IN_USE), as it would beside another relay.
 */
async function holdDataDir(dataDir: string): Promise<Server | undefined> {
  const path = join(dataDir, CONTROL_SOCKET);
  try {
    unlinkSync(path); // a stale socket of a relay that was killed (a live one answered above)
  } catch {
    /* none */
  }
  const server = createServer((conn) => conn.destroy());
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined)); // a path too long for a socket: no guard, as for the relay
    server.listen(path, () => resolve(server));
  });
}

export async function migrateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    to: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(MIGRATE_HELP);
    return 0;
  }
  const to = values.to;
  if (typeof to !== 'string' || !isPostgresUrl(to)) {
    throw new CommandError('migrate needs --to postgres://…', RelayExit.USAGE, 'see chat-relay migrate --help');
  }
  const { config } = configFrom(values);
  const dataDir = config.dataDir;
  const json = values.json === true;
  const fail = (code: string, message: string, exit: number, hint?: string): never => {
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
    throw new CommandError(`${message} (${code})`, exit, hint);
  };
  if (await controlSocketAlive(dataDir)) {
    fail('DATA_DIR_IN_USE', `a relay is running on ${dataDir}`, RelayExit.REFUSED, 'stop it first');
  }
  const say = values.quiet ? () => {} : (line: string) => process.stderr.write(`chat-relay migrate: ${line}\n`);
  const target = redactUrl(to);
  say(`copying ${dataDir} into ${target}`);
  const guard = await holdDataDir(dataDir);
  const started = Date.now();
  const { migrateToPostgres, MigrateError } = await import('../store/migrate.js');
  try {
    // A line per table at its end, and at most one a second while a big table copies.
    let last = 0;
    const counts = await migrateToPostgres(dataDir, to, (table, done, total) => {
      if (done < total && Date.now() - last < 1000) return;
      last = Date.now();
      say(`${table} ${done}/${total}`);
    });
    const ms = Date.now() - started;
    if (json) {
      process.stdout.write(`${JSON.stringify({ ok: true, from: dataDir, to: target, counts, ms })}\n`);
    } else {
      process.stdout.write(
        `migrated ${dataDir} into ${target} in ${ms} ms: ${counts.users} accounts, ${counts.envelopes} envelopes, ` +
          `${counts.roomMembers} room memberships, ${counts.bans} bans, ${counts.invites} invites, ` +
          `${counts.prekeys} prekeys, ${counts.blobs} files (${counts.blobChunks} chunks)` +
          `${counts.certificate ? ', the TLS key pair' : ''}\n`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof MigrateError) {
      fail(err.code, err.message, err.code === 'TARGET_NOT_EMPTY' ? RelayExit.REFUSED : RelayExit.FAILURE, err.hint);
    }
    if (err instanceof RelayStoreError) fail(err.code, err.message, RelayExit.FAILURE);
    return fail('MIGRATE_FAILED', (err as Error).message, RelayExit.FAILURE, 'nothing was copied: fix and run again');
  } finally {
    await new Promise<void>((resolve) => (guard ? guard.close(() => resolve()) : resolve()));
  }
}
