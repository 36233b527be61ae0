/** `chat login` as an engine call: authenticate once (§8) and remember the relay, its id and our username. */
import { toHex } from '@chat/crypto';
import { formatRelayAddress, type RelayAddress } from './address.js';
import { Connection } from './connection.js';
import type { Profile } from './profile.js';
import { normalizeUsername } from './username.js';

export interface LoginResult {
  username: string;
  relay: string;
  relayId: string;
  /** True if this login created the account on the relay. */
  registered: boolean;
  /** The relay id pinned before, when this login replaced it with another (a deliberate re-join, §8). */
  replacedRelayId: string | undefined;
}

/**
 * Registers (first login) or logs in as `username` in mode `send`, then stores username, address and relay id.
 * Logging in is the deliberate way to accept a relay whose id changed, so no relay id is expected here.
 *
 * @throws {ChatError} NO_IDENTITY, BAD_USERNAME, RELAY_UNREACHABLE, KEY_MISMATCH, …
 */
export async function login(profile: Profile, username: string, address: RelayAddress, agent?: string, invite?: string): Promise<LoginResult> {
  const name = normalizeUsername(username);
  const identity = profile.loadIdentity();
  const previous = profile.loadConfig();
  const conn = await Connection.open({ address, username: name, identity, mode: 'send', ...(agent ? { agent } : {}), invite });
  const relayId = toHex(conn.relayId);
  const registered = conn.registered;
  await conn.close();
  const relay = formatRelayAddress(address);
  profile.saveConfig({ version: 1, username: name, relay, relayId });
  return {
    username: name,
    relay,
    relayId,
    registered,
    replacedRelayId: previous && previous.relayId !== relayId ? previous.relayId : undefined,
  };
}
