/** Finding this profile's daemon: a small module, so a command that talks to the daemon loads little else. */
import type { Socket } from 'node:net';
import type { DaemonClient } from '../daemon/client.js';
import { ownSocket, tryConnect } from '../daemon/socket.js';
import { daemonSocketPath, profileHome } from '../engine/home.js';
import { checkPrivatePath } from '../engine/strict-modes.js';
import type { Io } from './io.js';

/**
 * The daemon holding this profile's session (`chat daemon`), if one is running: the command then asks it instead of
 * unlocking the keys and connecting itself. The profile directory is checked first (strict-modes.ts): the socket is
 * trusted because nobody else can create files there. `CHAT_NO_DAEMON=1` skips it.
 */
export async function attachDaemon(io: Io): Promise<DaemonClient | undefined> {
  const home = daemonHome(io);
  if (home === undefined || !ownSocket(daemonSocketPath(home))) return undefined;
  // The client and its JSON-RPC library only when there is a socket: most runs have no daemon and never load them.
  return (await import('../daemon/client.js')).DaemonClient.connect(home);
}

/** A raw connection to the daemon, as attachDaemon finds it (`chat jsonrpc` passes lines through unread). */
export async function daemonSocket(io: Io): Promise<Socket | undefined> {
  const home = daemonHome(io);
  if (home === undefined) return undefined;
  const path = daemonSocketPath(home);
  return ownSocket(path) ? tryConnect(path) : undefined;
}

function daemonHome(io: Io): string | undefined {
  if (io.env.CHAT_NO_DAEMON === '1') return undefined;
  const home = profileHome(io.env);
  checkPrivatePath(home);
  return home;
}

/**
 * `method` through the daemon when one runs (its result is what the command prints with --json), else `own`, the
 * command in a session of its own. The same ChatErrors either way (client.ts maps them back).
 */
export async function withDaemonOr<T>(
  io: Io,
  method: string,
  params: Record<string, unknown>,
  own: () => Promise<T>,
): Promise<T> {
  const daemon = await attachDaemon(io);
  if (!daemon) return own();
  try {
    return await daemon.request<T>(method, params);
  } finally {
    daemon.close();
  }
}
