/** Finding this profile's daemon: a small module, so a command that talks to the daemon loads little else. */
import { DaemonClient } from '../daemon/client.js';
import { profileHome } from '../engine/home.js';
import { checkPrivatePath } from '../engine/strict-modes.js';
import type { Io } from './io.js';

/**
 * The daemon holding this profile's session (`chat daemon`), if one is running: the command then asks it instead of
 * unlocking the keys and connecting itself. The profile directory is checked first (strict-modes.ts): the socket is
 * trusted because nobody else can create files there. `CHAT_NO_DAEMON=1` skips it.
 */
export async function attachDaemon(io: Io): Promise<DaemonClient | undefined> {
  if (io.env.CHAT_NO_DAEMON === '1') return undefined;
  const home = profileHome(io.env);
  checkPrivatePath(home);
  return DaemonClient.connect(home);
}
