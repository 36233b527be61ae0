/**
 * Where the profile lives. Its own module (profile.ts re-exports it) so the binary's entry can find identity.json
 * without loading the crypto library.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type Env = Record<string, string | undefined>;

export const IDENTITY_FILE = 'identity.json';

/** Where the profile lives, from the environment (never from the working directory). */
export function profileHome(env: Env): string {
  if (env.CHAT_HOME) return resolve(env.CHAT_HOME);
  const xdg = env.XDG_CONFIG_HOME;
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (xdg?.startsWith('/')) return join(xdg, 'chat');
  return join(env.HOME || homedir(), '.config', 'chat');
}

/** The daemon's Unix socket in the profile directory (`chat daemon`, docs/JSONRPC.md). */
export const DAEMON_SOCKET_FILE = 'daemon.sock';

export function daemonSocketPath(home: string): string {
  return join(home, DAEMON_SOCKET_FILE);
}
