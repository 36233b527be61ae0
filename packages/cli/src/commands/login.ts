/** `chat login <username> [--relay host:port]`: register or log in (§8) and remember relay, relay id and username. */
import { DEFAULT_RELAY, parseRelayAddress } from '../engine/address.js';
import { login as loginToRelay } from '../engine/account.js';
import { Profile } from '../engine/profile.js';
import { AGENT } from '../version.js';
import { printJson, warn, type Io } from './io.js';

export interface LoginArgs {
  username: string;
  relay?: string | undefined;
  /** One-time invite code for an invite-only relay (PROTOCOL.md §13.3). */
  invite?: string | undefined;
  json?: boolean;
}

export async function login(args: LoginArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  // --relay, else CHAT_RELAY, else the relay of the last login, else the default (§11).
  const relay = args.relay ?? io.env.CHAT_RELAY ?? profile.loadConfig()?.relay ?? DEFAULT_RELAY;
  const address = parseRelayAddress(relay);
  const result = await loginToRelay(profile, args.username, address, AGENT, args.invite);
  if (result.replacedRelayId) {
    warn(io, `the relay id changed (was ${result.replacedRelayId.slice(0, 16)}…); you have re-joined the relay at ${result.relay} — contacts stay pinned`);
  }
  if (args.json) {
    printJson(io, { username: result.username, relay: result.relay, relayId: result.relayId, registered: result.registered });
  } else {
    io.stdout.write(`${result.registered ? 'registered' : 'logged in as'} ${result.username} on ${result.relay}\n`);
  }
  return 0;
}
