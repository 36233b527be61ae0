#!/usr/bin/env node
import { DEFAULT_PORT, PROTOCOL_VERSION } from '@chat/protocol';
import { reportOutputErrors } from '@chat/protocol/output';
import { CommandError, printError } from '../cli/common.js';
import { configFrom, parse } from '../cli/flags.js';
import { DEFAULT_HOST } from '../config.js';
import { DataDirUnsafeError, RelayStoreError, RelayTlsError } from '../errors.js';
import { redactUrl } from '../store/open.js';
import { VERSION } from '../version.js';

const HELP = `Usage: chat-relay [options]
       chat-relay config [--sources]            print the effective configuration
       chat-relay admin <command> [user]        users|stats|invite|ban|unban|kick|delete-user|shutdown
       chat-relay status                        is the relay running, with live counts
       chat-relay migrate --to postgres://…     copy a stopped SQLite relay's data into PostgreSQL

Runs the chat relay: a key directory and offline mailboxes that store only ciphertext.
Speaks TLS 1.3: on first start it creates a key and a self-signed certificate in the data directory.
Prints "chat-relay address chat://<fp>@<host>:<port>" and then "chat-relay listening on <host>:<port>" on stdout
when ready: give clients the chat:// address so they pin the certificate (PROTOCOL.md §5.1). Logs JSON lines to stderr.
Stops cleanly on SIGINT or SIGTERM (acknowledged messages are never lost).

Options:
  --host <addr>     interface to listen on            (default ${DEFAULT_HOST})
  --port <n>        TCP port, 0 for any free one       (default ${DEFAULT_PORT})
  --data <dir>      data directory (relay.db, tls-*.pem) (default $CHAT_RELAY_DATA, else
                                                         $XDG_DATA_HOME/chat-relay or ~/.local/share/chat-relay)
  --store <url>     keep relay state in PostgreSQL: postgres://user@host:port/db (default: SQLite in
                    the data directory; $CHAT_RELAY_STORE, config key "store"; docs/SCALING.md)
  --tls-cert <file> your own PEM certificate (with --tls-key) instead of the self-signed one
  --tls-key <file>  the PEM private key of --tls-cert
  --insecure        plaintext TCP, no TLS (clients must pass --insecure too); for tunnels and tests only
  --config <file>   JSON config file                   (default <data>/relay.json if it exists)
  --admin <user:fingerprint>  an admin: username and the fingerprint of its key, from "chat whoami" (repeatable)
  --registration open|invite                           (default open)
  --metrics-port <n>  serve Prometheus /metrics there  (default off; 0 for any free port)
  --metrics-host <addr>                                (default 127.0.0.1)
  --set <key=value> any other setting, e.g. --set limits.maxConnections=500 (see chat-relay config --sources)
  --quiet           no log lines on stderr
  -h, --help        show this help
  -V, --version     show the version (-v too)

Precedence: flags > CHAT_RELAY_* environment > config file > defaults (README, "Operating a relay").
Each subcommand has --help.

Examples:
  chat-relay --data ./keys/relay                 # a local relay on 127.0.0.1:${DEFAULT_PORT}
  chat-relay --host 0.0.0.0 --port 7717 --data /var/lib/chat-relay
  chat-relay --tls-cert /etc/chat/cert.pem --tls-key /etc/chat/key.pem
  chat-relay --data /var/lib/chat-relay --admin 'alice:3F2A91BC0D4E7A11C0DE5EED9B3A44F0' --registration invite --metrics-port 7718
  chat-relay config --sources --data /var/lib/chat-relay
  chat-relay admin users --data /var/lib/chat-relay
`;

function fail(message: string, code: number, hint?: string): never {
  process.stderr.write(`chat-relay: error: ${message}\n`);
  if (hint) process.stderr.write(`chat-relay: hint: ${hint}\n`);
  process.exit(code);
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host === 'localhost';
}

// Each loaded when it runs, so that a subcommand loads neither the server nor the other subcommands.
const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  config: async (argv) => (await import('../cli/config-command.js')).configCommand(argv),
  admin: async (argv) => (await import('../cli/admin-command.js')).adminCommand(argv),
  status: async (argv) => (await import('../cli/status-command.js')).statusCommand(argv),
  migrate: async (argv) => (await import('../cli/migrate-command.js')).migrateCommand(argv),
};

// `chat-relay admin users | head -2`: a reader that left is not an error; any other failure to write stdout is one
// plain error and exit 1, as for `chat`.
reportOutputErrors('chat-relay');

async function main(): Promise<void> {
  // -V as in `chat -V`; -v, the older spelling, still works. parseArgs takes one short letter per option.
  const argv = process.argv.slice(2).map((a) => (a === '-V' ? '--version' : a));
  const sub = argv[0] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[0]) ? SUBCOMMANDS[argv[0]] : undefined;
  if (sub) {
    try {
      process.exitCode = await sub(argv.slice(1));
    } catch (err) {
      if (err instanceof CommandError) {
        printError(err.message, err.hint);
        process.exitCode = err.exitCode;
      } else if (err instanceof DataDirUnsafeError) {
        printError(`${err.message} (${err.code})`, err.hint);
        process.exitCode = 1;
      } else if (err instanceof RelayStoreError) {
        printError(`relay.db: ${err.message} (${err.code})`, 'restore the data directory from a backup');
        process.exitCode = 1;
      } else {
        printError((err as Error).message);
        process.exitCode = 1;
      }
    }
    return;
  }
  let values;
  let config;
  try {
    ({ values } = parse(argv, {
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    }));
    if (values.help || values.version) config = undefined;
    else ({ config } = configFrom(values));
  } catch (err) {
    if (err instanceof DataDirUnsafeError) fail(`${err.message} (${err.code})`, 1, err.hint);
    const e = err as CommandError;
    fail(e.message, e.exitCode ?? 2, e.hint ?? 'see chat-relay --help');
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version) {
    process.stdout.write(`chat-relay ${VERSION} (protocol ${PROTOCOL_VERSION})\n`);
    return;
  }
  if (!config) return;
  // The server, its TLS, metrics and log writer load only to serve: --help, --version and the subcommands above
  // never need them (docs/BENCHMARKS.md, "what was cut").
  const [{ startRelay }, { jsonLogger, silentLogger }, { DataDirInUseError }, { loadSodium }] = await Promise.all([
    import('../server.js'),
    import('../log.js'),
    import('../admin/control.js'),
    import('@chat/crypto'),
  ]);
  const { port, dataDir } = config;
  const tls = config.tls.insecure
    ? (false as const)
    : config.tls.cert !== null && config.tls.key !== null
      ? { certPath: config.tls.cert, keyPath: config.tls.key }
      : undefined;
  try {
    loadSodium(); // every login checks a signature with it: a missing addon fails here, not at each client
  } catch (err) {
    fail((err as Error).message, 1, 'reinstall chat-relay: its dependency sodium-native is missing or incomplete');
  }
  let relay;
  let stop = (_why: string) => {};
  try {
    relay = await startRelay({
      host: config.host ?? DEFAULT_HOST,
      port,
      dataDir,
      ...(config.store === null ? {} : { store: config.store }),
      ...(tls === undefined ? {} : { tls }),
      limits: config.limits,
      admins: config.admins,
      rooms: config.rooms,
      registration: config.registration,
      inviteTtlMs: config.inviteTtlHours * 3600_000,
      ...(config.metrics.port >= 0 ? { metrics: config.metrics } : {}),
      onShutdownRequest: () => stop('admin shutdown'),
      log: values.quiet || config.log.level === 'silent' ? silentLogger : jsonLogger(process.stderr, config.log.level),
    });
  } catch (err) {
    if (err instanceof RelayTlsError)
      fail(
        `${err.message} (${err.code})`,
        1,
        'fix or remove the certificate and key; without --tls-cert the relay makes its own in the data directory',
      );
    if (err instanceof RelayStoreError && config.store !== null) {
      fail(
        `${redactUrl(config.store)}: ${err.message} (${err.code})`,
        1,
        err.code === 'STORE_UNAVAILABLE'
          ? 'check that PostgreSQL is running and that --store names a database this user may use'
          : 'this database belongs to another relay version; the relay will not serve from it',
      );
    }
    if (err instanceof RelayStoreError) {
      fail(
        `${dataDir}/relay.db: ${err.message} (${err.code})`,
        1,
        'restore the data directory from a backup; the relay will not serve from a damaged database',
      );
    }
    if (err instanceof DataDirUnsafeError) fail(`${err.message} (${err.code})`, 1, err.hint);
    if (err instanceof DataDirInUseError) fail(err.message, 1, 'stop the other relay first, or use another --data');
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      fail(`port ${port} is already in use`, 1, 'pick another with --port, or stop the other relay');
    fail(e.message, 1);
  }
  if (relay.certFingerprint === undefined) {
    process.stderr.write(
      `chat-relay: warning: --insecure: plaintext TCP${isLoopback(relay.host) ? '' : ' beyond loopback'}: message content stays end-to-end ` +
        'encrypted, but usernames and traffic are visible on the network (docs/SECURITY.md)\n',
    );
  }
  const shown = relay.host.includes(':') ? `[${relay.host}]` : relay.host;
  if (relay.certFingerprint !== undefined) {
    if (relay.certCreated)
      process.stderr.write(`chat-relay: created a TLS key and self-signed certificate in ${dataDir}\n`);
    process.stdout.write(`chat-relay address chat://${relay.certFingerprint}@${shown}:${relay.port}\n`);
  } else {
    process.stdout.write(`chat-relay address ${shown}:${relay.port} (insecure: clients need --insecure)\n`);
  }
  // Signal handlers before the `listening` line: whoever waits for that line may signal at once.
  let stopping = false;
  stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    relay.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`chat-relay: error: during shutdown (${signal}): ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Last, so that whoever waits for this line has the address line already.
  process.stdout.write(`chat-relay listening on ${shown}:${relay.port}\n`);
  if (relay.metricsPort !== undefined) {
    process.stdout.write(`chat-relay metrics on http://${config.metrics.host}:${relay.metricsPort}/metrics\n`);
  }
}

void main();
