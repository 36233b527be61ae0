import { parseRelayAddress } from '../engine/address.js';
import { parseTrustNewIdentities } from '../engine/identities.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { AGENT } from '../version.js';
import type { Io } from './io.js';
import { unlockingPassphrase } from './passphrase.js';

/**
 * The engine for a command. `CHAT_RELAY=host:port` overrides the relay address stored at login for this run
 * (the relay id pinned at login still has to match), e.g. when a relay restarted on another port.
 * `CHAT_TRUST_NEW_IDENTITIES` (set by the global `--trust-new-identities` option too) picks the trust policy.
 */
export async function openMessenger(io: Io): Promise<Messenger> {
  const profile = Profile.fromEnv(io.env);
  const override = io.env.CHAT_RELAY;
  const policy = io.env.CHAT_TRUST_NEW_IDENTITIES;
  const passphrase = await unlockingPassphrase(io, profile);
  return Messenger.open(profile, {
    agent: AGENT,
    relay: override ? parseRelayAddress(override) : undefined,
    trustNewIdentities: policy ? parseTrustNewIdentities(policy) : undefined,
    passphrase,
  });
}
