import { parseRelayAddress } from '../engine/address.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { AGENT } from '../version.js';
import type { Io } from './io.js';

/**
 * The engine for a command. `CHAT_RELAY=host:port` overrides the relay address stored at login for this run
 * (the relay id pinned at login still has to match), e.g. when a relay restarted on another port.
 */
export function openMessenger(io: Io): Promise<Messenger> {
  const profile = Profile.fromEnv(io.env);
  const override = io.env.CHAT_RELAY;
  return Messenger.open(profile, { agent: AGENT, relay: override ? parseRelayAddress(override) : undefined });
}
