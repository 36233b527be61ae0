/**
 * The engine of an interactive session: the daemon's when `chat daemon` runs for the profile (attach.ts), else a
 * Messenger of its own (which unlocks the keys and holds the receiving session, as before the daemon existed).
 */
import { attachDaemon } from '../commands/attach.js';
import { openMessenger } from '../commands/common.js';
import type { Io } from '../commands/io.js';
import { Profile } from '../engine/profile.js';
import type { SessionEngine } from './engine.js';
import { localEngine } from './local.js';

export async function openSession(io: Io): Promise<{ engine: SessionEngine; attached: boolean }> {
  const daemon = await attachDaemon(io);
  if (!daemon) return { engine: localEngine(await openMessenger(io)), attached: false };
  try {
    const profile = Profile.fromEnv(io.env);
    const { remoteEngine } = await import('./remote.js');
    return { engine: await remoteEngine(daemon, profile.home, profile.dbPath), attached: true };
  } catch (err) {
    daemon.close();
    throw err;
  }
}
