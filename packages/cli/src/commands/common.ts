import type { Mode } from '@chat/protocol';
import type { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { AGENT } from '../version.js';
import { warn, type Io } from './io.js';
import { unlockingPassphrase } from './passphrase.js';

export interface OpenMessengerOptions {
  /** The mode of the command's first connection, to open it while the keys unlock (Messenger.open `connectEarly`). */
  connectEarly?: Mode;
}

/**
 * The engine for a command. `CHAT_RELAY=host:port` overrides the relay address stored at login for this run
 * (the relay id pinned at login still has to match), e.g. when a relay restarted on another port.
 * `CHAT_TRUST_NEW_IDENTITIES` (set by the global `--trust-new-identities` option too) picks the trust policy.
 *
 * The key derivation (scrypt, on the thread pool) starts before the rest of the engine is even loaded (so this
 * module imports little: address.ts alone would bring the whole protocol codec), and with `connectEarly` the
 * connection to the relay overlaps it too. One-shot commands spend most of their time here.
 */
export async function openMessenger(io: Io, { connectEarly }: OpenMessengerOptions = {}): Promise<Messenger> {
  const profile = Profile.fromEnv(io.env);
  const override = io.env.CHAT_RELAY;
  const policy = io.env.CHAT_TRUST_NEW_IDENTITIES;
  const passphrase = await unlockingPassphrase(io, profile);
  const relay = override ? (await import('../engine/address.js')).parseRelayAddress(override) : undefined;
  const trustNewIdentities = policy
    ? (await import('../engine/contacts/identities.js')).parseTrustNewIdentities(policy)
    : undefined;
  // Without an identity Messenger.open reports NO_IDENTITY first, as it always has.
  const unlocking = profile.hasIdentity() ? profile.unlockKeys(passphrase, { warn: (m) => warn(io, m) }) : undefined;
  unlocking?.catch(() => {}); // awaited by Messenger.open, which reports its error in order
  const { Messenger } = await import('../engine/messenger.js');
  return Messenger.open(profile, { agent: AGENT, relay, trustNewIdentities, passphrase, unlocking, connectEarly });
}
