/**
 * `chat-relay admin <op>` on the relay host. With the relay running, the request goes through its control socket
 * (admin/control.ts), so bans and deletions also end live sessions and `users` shows who is online. Without it,
 * the database operations (users, ban, unban, invite, delete-user, stats) run on the data directory directly;
 * `kick` and `shutdown` need a running relay (exit 3 otherwise).
 */
import { isValidUsername } from '@chat/crypto';
import { parseAdmins } from '../admins.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdminError,
  runAdminOp,
  type AdminDeps,
  type AdminRequest,
  type AdminResult,
  type LocalAdminOp,
  type RelayStats,
} from '../admin/ops.js';
import { controlRequest } from '../admin/control.js';
import { silentLogger } from '../log.js';
import { openRelayStores } from '../store/open.js';
import { openSqliteStores } from '../store/sqlite-store.js';
import { CommandError, RelayExit } from './common.js';
import { configFrom, parse } from './flags.js';

export const ADMIN_HELP = `Usage: chat-relay admin <command> [user] [--reason TEXT] [--json] [--data DIR]

Administers the relay whose data directory is DIR (default as for chat-relay). Works on a running relay through its
control socket (DIR/control.sock), or on the database when the relay is stopped. Shows accounts, online state,
mailbox depth and size — never message content.

Commands:
  users                 list accounts: name, online, banned, waiting envelopes and bytes, created
  stats                 connections, users online, accounts, envelopes and bytes waiting, uptime
  invite                print a new one-time invite code (for registration = invite)
  ban <user>            refuse logins of <user>, end its sessions (keeps its mailbox)
  unban <user>          lift a ban
  kick <user>           end every session of <user> now (running relay only)
  delete-user <user>    delete the account and its mailbox; the name becomes free
  shutdown              tell clients, drain, stop the relay with exit 0 (running relay only)

Exit codes: 0 ok, 1 failure, 2 usage, 3 no relay running (kick, shutdown), 4 refused (e.g. unknown user).

Examples:
  chat-relay admin users --data /var/lib/chat-relay
  chat-relay admin ban mallory --reason spam --data /var/lib/chat-relay
  chat-relay admin invite --data /var/lib/chat-relay
  chat-relay admin kick bob --reason "please upgrade" --data /var/lib/chat-relay
`;

const OPS: readonly LocalAdminOp[] = ['users', 'stats', 'invite', 'ban', 'unban', 'kick', 'delete-user', 'shutdown'];
const NEEDS_USER = new Set<LocalAdminOp>(['ban', 'unban', 'kick', 'delete-user']);
const LIVE_ONLY = new Set<LocalAdminOp>(['kick', 'shutdown']);

function isNotRunning(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/** Runs the request on the database alone (no relay running). */
async function offline(
  dataDir: string,
  storeUrl: string | null,
  admins: string[],
  req: AdminRequest,
): Promise<AdminResult> {
  const file = join(dataDir, 'relay.db');
  // A mistyped --data must not create an empty relay database.
  if (storeUrl === null && !existsSync(file))
    throw new CommandError(`no relay database in ${dataDir}`, RelayExit.FAILURE, 'check --data (or CHAT_RELAY_DATA)');
  const { store, accounts } = storeUrl === null ? openSqliteStores(file) : await openRelayStores(dataDir, storeUrl);
  try {
    const deps: AdminDeps = {
      accounts,
      online: new Map(),
      receivers: new Map(),
      policy: { admins: parseAdmins(admins), registration: 'open', inviteTtlMs: 0 },
      log: silentLogger,
      now: Date.now,
      startedAt: Date.now(),
      connections: () => 0,
      requestShutdown: () => {},
    };
    return await runAdminOp(deps, req, 'local');
  } finally {
    await store.close();
  }
}

export async function adminCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      reason: { type: 'string' },
      after: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help || positionals.length === 0) {
    process.stdout.write(ADMIN_HELP);
    return values.help ? 0 : RelayExit.USAGE;
  }
  const [op, user, ...rest] = positionals as [LocalAdminOp, string | undefined, ...string[]];
  if (!OPS.includes(op))
    throw new CommandError(
      `unknown admin command ${JSON.stringify(op)}`,
      RelayExit.USAGE,
      'see chat-relay admin --help',
    );
  if (NEEDS_USER.has(op) !== (user !== undefined) || rest.length > 0) {
    throw new CommandError(
      NEEDS_USER.has(op) ? `admin ${op} needs one username` : `admin ${op} takes no username`,
      RelayExit.USAGE,
    );
  }
  // Not a username at all is a usage error (exit 2), not an unknown user (4): `admin kick BOB` (hunt2).
  if (user !== undefined && !isValidUsername(user)) {
    throw new CommandError(
      `${JSON.stringify(user)} is not a username`,
      RelayExit.USAGE,
      'a username is 3 to 32 characters: a lowercase letter, then lowercase letters, digits, _ or - (PROTOCOL.md §3.1)',
    );
  }
  const { config } = configFrom(values);
  const request: AdminRequest = {
    op,
    user,
    reason: values.reason as string | undefined,
    after: values.after as string | undefined,
  };
  let result: AdminResult;
  let running = true;
  try {
    const answer = await controlRequest(config.dataDir, request);
    if (answer.ok !== true) {
      throw new CommandError(`${String(answer.message)} (${String(answer.code)})`, RelayExit.REFUSED);
    }
    result = answer.result as AdminResult;
  } catch (err) {
    if (!isNotRunning(err)) throw err;
    if (LIVE_ONLY.has(op)) {
      throw new CommandError(
        `no relay is running on ${config.dataDir}`,
        RelayExit.NOT_RUNNING,
        'start it, or check --data',
      );
    }
    running = false;
    try {
      result = await offline(config.dataDir, config.store, config.admins, request);
    } catch (e) {
      if (e instanceof AdminError) throw new CommandError(`${e.message} (${e.code})`, RelayExit.REFUSED);
      throw e;
    }
  }
  print(running || result.op !== 'stats' ? result : storeStats(result), values.json === true);
  return 0;
}

/**
 * The stats of a relay that is not running: the store's counts only, and `running: false`. Its connections, online
 * users and uptime are a running relay's own; read from the database alone they came out 0, 0 and ~1 ms, as if a
 * relay had just started (hunt2).
 */
function storeStats(result: Extract<AdminResult, { op: 'stats' }>): StoppedStats {
  const { connections: _c, online: _o, uptimeMs: _u, ...store } = result.stats;
  return { ...result, stats: { running: false, ...store } };
}

/** What `storeStats` gives: the stats of a relay that is not running. */
interface StoppedStats {
  op: 'stats';
  stats: { running: false } & Omit<RelayStats, 'connections' | 'online' | 'uptimeMs'>;
}

function print(result: AdminResult | StoppedStats, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  switch (result.op) {
    case 'users': {
      const rows = result.users.map((u) => [
        u.username,
        u.online ? 'online' : '-',
        u.banned ? 'banned' : '-',
        String(u.depth),
        String(u.bytes),
        new Date(u.createdAt).toISOString().slice(0, 19).replace('T', ' '),
      ]);
      const head = ['USER', 'ONLINE', 'BANNED', 'WAITING', 'BYTES', 'CREATED (UTC)'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [head, ...rows])
        process.stdout.write(
          `${r
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd()}\n`,
        );
      if (result.more)
        process.stdout.write(`… more: chat-relay admin users --after ${result.users.at(-1)?.username}\n`);
      return;
    }
    case 'stats':
      for (const [k, v] of Object.entries(result.stats))
        process.stdout.write(`${k.padEnd(12)} ${v === false ? 'no' : v}\n`);
      return;
    case 'invite':
      process.stdout.write(`${result.invite}\n`);
      return;
    default:
      process.stdout.write(`${result.op}: done\n`);
  }
}
