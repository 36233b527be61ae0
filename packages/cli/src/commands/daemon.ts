/**
 * `chat daemon`: unlocks the keys once, keeps this profile's one receiving session with the relay (engine/live.ts,
 * reconnecting with backoff), and serves the JSON-RPC API of docs/JSONRPC.md on `daemon.sock` in the profile
 * directory, where `chat send` and `chat recv` find it. Runs in the foreground until SIGINT / SIGTERM.
 *
 * It logs lifecycle events only (listening, ready, connection states, clients, stopping): never a message body,
 * and no names of correspondents. With --json one JSON object per line on stdout, else `chat: daemon: …` lines.
 */
import { createServer } from 'node:net';
import { ChatError } from '../engine/errors.js';
import type { ConnectionStatus } from '../engine/events.js';
import { Profile } from '../engine/profile.js';
import { inertLine } from '../terminal-text.js';
import { Hub } from '../daemon/hub.js';
import { rpcServer, type MethodDeps } from '../daemon/methods.js';
import { serveConnections } from '../daemon/server.js';
import { daemonSocketPath } from '../engine/home.js';
import { listenOnce } from '../daemon/socket.js';
import { addSessionMethods } from '../daemon/methods-session.js';
import { localOps, type SessionOps } from '../session/ops.js';
import { aborted } from '../engine/aborted.js';
import { openMessenger } from './common.js';
import type { Io } from './io.js';
import { methodDeps, runSession } from './rpc-session.js';
import { jsonLine } from '../json-line.js';
import { gate } from '../daemon/register.js';

export interface DaemonArgs {
  json?: boolean;
}

type Log = (event: string, fields?: Record<string, unknown>) => void;

export async function daemon(args: DaemonArgs, io: Io): Promise<number> {
  const log = daemonLog(io, args.json === true);
  const profile = Profile.fromEnv(io.env);
  // NO_IDENTITY, then NOT_LOGGED_IN, before the socket is taken (as openMessenger would report them).
  if (!profile.hasIdentity()) profile.loadIdentity();
  profile.requireConfig();
  const path = daemonSocketPath(profile.home);
  const server = createServer({ allowHalfOpen: true }); // answers still go to a client that half-closed (server.ts)
  // The socket first: a second daemon is refused before it asks for a passphrase.
  await listenOnce(path, server);
  log('listening', { socket: path });
  let ready!: (d: MethodDeps) => void;
  let failed!: (err: unknown) => void;
  const deps = new Promise<MethodDeps>((res, rej) => {
    ready = res;
    failed = rej;
  });
  deps.catch(() => {});
  let hub: Hub | undefined;
  let ops!: SessionOps;
  const rpc = rpcServer(deps);
  const opsReady = deps.then(() => ops);
  opsReady.catch(() => {}); // a failed unlock is reported by `deps`; this one must not be an unhandled rejection
  addSessionMethods(rpc, opsReady);
  // §13.3: the history's key for this user's readers (`chat history`, an attached session), which open chat.db
  // themselves; the socket is this user's alone (0600 in a 0700 profile), as are the keys this process holds.
  const started = gate(deps);
  rpc.addMethod('storageKey', async () => {
    const key = (await started()).engine?.storageKey;
    if (key === undefined) throw new Error('no storage key');
    return { storageKey: Buffer.from(key).toString('hex') };
  });
  const connections = serveConnections(server, rpc, { unsubscribe: (s) => hub?.unsubscribe(s) }, (n) =>
    log('clients', { open: n }),
  );
  const stopServer = async (): Promise<void> => {
    await connections.closeAll(); // their `clients` lines come before `stopped` (hunt3)
    return new Promise((res) => server.close(() => res())); // removes the socket file
  };
  let messenger: Awaited<ReturnType<typeof openMessenger>>;
  // SIGINT / SIGTERM while the keys unlock (a passphrase prompt or file that has not answered): stop, as later.
  const stop = aborted(io.signal);
  try {
    const opening = openMessenger(io, { connectEarly: 'recv' });
    const opened = await Promise.race([opening, stop.then(() => undefined)]);
    if (opened === undefined) {
      opening.then(
        (m) => m.close(),
        () => {},
      );
      failed(new ChatError('DAEMON_LOST', 'the chat daemon stopped before it was ready'));
      log('stopping');
      await stopServer();
      log('stopped');
      return 0;
    }
    messenger = opened;
  } catch (err) {
    failed(err);
    await stopServer();
    throw err;
  }
  hub = new Hub(messenger, (count) => log('subscribers', { count }));
  // An attached interactive session asks for the state of the receiving session when it starts (sessionInfo).
  let connection = 'connecting';
  messenger.on('connection', (c) => {
    connection = c.state;
  });
  ops = localOps(messenger, { connection: () => connection });
  ready(methodDeps(messenger, hub, io));
  log('ready', { username: messenger.username });
  messenger.on('connection', (c) => log('connection', connectionFields(c)));
  messenger.on('warning', (w) => log('warning', { message: inertLine(w) }));
  const signal = io.signal ?? new AbortController().signal;
  try {
    await runSession(messenger, signal);
    log('stopping');
    // No new clients; what the connected ones asked for is answered first (a second signal exits at once).
    server.close();
    await connections.idle();
    return 0;
  } finally {
    await stopServer();
    messenger.close();
    log('stopped');
  }
}

function connectionFields(c: ConnectionStatus): Record<string, unknown> {
  const fields: Record<string, unknown> = { state: c.state };
  if ('attempt' in c) fields.attempt = c.attempt;
  if ('retryInMs' in c) fields.retryInMs = c.retryInMs;
  if ('error' in c) fields.error = (c.error as ChatError).code;
  return fields;
}

/** One lifecycle event per line: JSON with `ts` and `event`, or a human line; values are ours or inert. */
function daemonLog(io: Io, json: boolean): Log {
  return (event, fields = {}) => {
    if (json) io.stdout.write(jsonLine({ ts: Date.now(), event, ...fields }));
    else {
      const rest = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      io.stdout.write(`chat: daemon: ${event}${rest ? ` ${rest}` : ''}\n`);
    }
  };
}
