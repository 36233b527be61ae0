#!/usr/bin/env node
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT } from '@chat/protocol';
import { RelayStoreError, RelayTlsError } from '../errors.js';
import { jsonLogger, silentLogger } from '../log.js';
import { DEFAULT_HOST, startRelay } from '../server.js';

const HELP = `Usage: chat-relay [options]

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
  --tls-cert <file> your own PEM certificate (with --tls-key) instead of the self-signed one
  --tls-key <file>  the PEM private key of --tls-cert
  --insecure        plaintext TCP, no TLS (clients must pass --insecure too); for tunnels and tests only
  --quiet           no log lines on stderr
  -h, --help        show this help
  -v, --version     show the version

Examples:
  chat-relay --data ./keys/relay                 # a local relay on 127.0.0.1:${DEFAULT_PORT}
  chat-relay --host 0.0.0.0 --port 7717 --data /var/lib/chat-relay
  chat-relay --tls-cert /etc/chat/cert.pem --tls-key /etc/chat/key.pem
`;

function fail(message: string, code: number, hint?: string): never {
  process.stderr.write(`chat-relay: error: ${message}\n`);
  if (hint) process.stderr.write(`chat-relay: hint: ${hint}\n`);
  process.exit(code);
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host === 'localhost';
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.CHAT_RELAY_DATA) return env.CHAT_RELAY_DATA;
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'chat-relay');
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        data: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        insecure: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message, 2, 'see chat-relay --help');
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.version) {
    process.stdout.write('chat-relay 0.1.0 (protocol 1)\n');
    return;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}`, 2);
  }
  const dataDir = values.data ?? defaultDataDir(process.env);
  const certPath = values['tls-cert'];
  const keyPath = values['tls-key'];
  if ((certPath === undefined) !== (keyPath === undefined)) fail('--tls-cert and --tls-key go together', 2, 'give both, or neither to use the self-signed certificate');
  if (values.insecure && certPath !== undefined) fail('--insecure cannot be combined with --tls-cert / --tls-key', 2);
  const tls = values.insecure ? (false as const) : certPath !== undefined && keyPath !== undefined ? { certPath, keyPath } : undefined;
  let relay;
  try {
    relay = await startRelay({
      host: values.host ?? DEFAULT_HOST,
      port,
      dataDir,
      ...(tls === undefined ? {} : { tls }),
      log: values.quiet ? silentLogger : jsonLogger(process.stderr),
    });
  } catch (err) {
    if (err instanceof RelayTlsError) fail(`${err.message} (${err.code})`, 1, 'fix or remove the certificate and key; without --tls-cert the relay makes its own in the data directory');
    if (err instanceof RelayStoreError) {
      fail(`${dataDir}/relay.db: ${err.message} (${err.code})`, 1, 'restore the data directory from a backup; the relay will not serve from a damaged database');
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') fail(`port ${port} is already in use`, 1, 'pick another with --port, or stop the other relay');
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
    if (relay.certCreated) process.stderr.write(`chat-relay: created a TLS key and self-signed certificate in ${dataDir}\n`);
    process.stdout.write(`chat-relay address chat://${relay.certFingerprint}@${shown}:${relay.port}\n`);
  } else {
    process.stdout.write(`chat-relay address ${shown}:${relay.port} (insecure: clients need --insecure)\n`);
  }
  // Last, so that whoever waits for this line has the address line already.
  process.stdout.write(`chat-relay listening on ${shown}:${relay.port}\n`);
  let stopping = false;
  const stop = (signal: string) => {
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
}

void main();
