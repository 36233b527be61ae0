/**
 * The daemon's Unix socket, `daemon.sock` in the profile directory (docs/JSONRPC.md, "Transport"). Who may talk to
 * the daemon is decided by the file system: the socket is 0600 in a profile directory that strict-modes.ts has
 * checked (ours, not writable by group or others), and a socket that is not ours is never used or removed.
 */
import { type BigIntStats, chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, type Server, type Socket } from 'node:net';
import { ChatError } from '../engine/errors.js';

/** sun_path holds 108 bytes on Linux (104 on macOS) including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * The socket at `path` if it is one of ours; undefined if there is none.
 * @throws {ChatError} PROFILE_UNSAFE for a file that is not a socket, or a socket another user owns.
 */
export function ownSocket(path: string, uid: number | undefined = process.getuid?.()): BigIntStats | undefined {
  let st: BigIntStats;
  try {
    // BigInt stats live in an array of their own: Node 20's JS realpathSync reads the shared one on a cache hit, and
    // after an lstat of a socket there it stopped resolving symlinked packages (pnpm), so a package imported later
    // could not find its own dependencies (review rev15; `chat verify`'s lazily imported qrcode met it first, hunt1:
    // test/e2e/daemon-commands.test.ts).
    st = lstatSync(path, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!st.isSocket())
    throw new ChatError('PROFILE_UNSAFE', `${path} exists and is not a socket`, { hint: `remove ${path}` });
  if (uid !== undefined && Number(st.uid) !== uid)
    throw new ChatError('PROFILE_UNSAFE', `${path} belongs to another user (uid ${st.uid}), not to you (uid ${uid})`, {
      hint: 'never talk to a daemon you do not own; remove the socket as its owner or root',
    });
  return st;
}

/** Connects to the socket at `path`; resolves undefined when nobody listens there (no file, or a stale one). */
export function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException): void => {
      socket.destroy();
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(undefined);
      else reject(new ChatError('UNEXPECTED', `cannot connect to the daemon at ${path}: ${err.code ?? err.message}`));
    };
    socket.once('error', onError);
  });
}

/**
 * Listens on `path` for this profile's one daemon. A live daemon there is refused (DAEMON_RUNNING); a stale socket
 * left by a killed daemon (nobody accepts on it) is removed first. The socket is created 0600 (umask) and chmodded.
 * Two daemons recovering the same stale socket at the same instant can still both start: see SECURITY.md.
 * @throws {ChatError} DAEMON_RUNNING, PROFILE_UNSAFE, USAGE (a path too long for a socket).
 */
export async function listenOnce(path: string, server: Server): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
    throw new ChatError('USAGE', `the daemon socket path ${path} is too long for a Unix socket`, {
      hint: 'use a shorter CHAT_HOME',
    });
  if (ownSocket(path)) {
    const live = await tryConnect(path);
    if (live) {
      live.destroy();
      throw daemonRunning(path);
    }
    unlinkSync(path); // stale: its daemon died without removing it
  }
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw daemonRunning(path);
    throw err;
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
}

function daemonRunning(path: string): ChatError {
  return new ChatError('DAEMON_RUNNING', `a chat daemon is already running for this profile (${path})`, {
    hint: 'stop it first (Ctrl-C or SIGTERM), or use another CHAT_HOME',
  });
}
