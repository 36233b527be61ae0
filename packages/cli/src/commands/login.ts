/**
 * `chat login <username> [--relay chat://fp@host:port | host:port] [--insecure]`: register or log in (§8) and
 * remember relay, relay id, the relay's certificate fingerprint (§5.1) and username.
 */
import { DEFAULT_RELAY, parseRelayAddress } from '../engine/address.js';
import { login as loginToRelay } from '../engine/account.js';
import { ChatError } from '../engine/errors.js';
import { Profile } from '../engine/profile.js';
import { AGENT } from '../version.js';
import { printJson, warn, type Io } from './io.js';
import { unlockingPassphrase } from './passphrase.js';

export interface LoginArgs {
  username: string;
  relay?: string | undefined;
  insecure?: boolean;
  /** With `insecure`: replace this address's pinned TLS certificate with plaintext (PROTOCOL.md §5.1). */
  dropTlsPin?: boolean;
  /** One-time invite code for an invite-only relay (PROTOCOL.md §14.3). */
  invite?: string | undefined;
  json?: boolean;
}

export async function login(args: LoginArgs, io: Io): Promise<number> {
  if (args.dropTlsPin && !args.insecure) {
    throw new ChatError(
      'USAGE',
      '--drop-tls-pin only goes with --insecure (it replaces a pinned TLS certificate with plaintext)',
      {
        hint: 'to accept a new certificate instead, log in with the chat://<fingerprint>@host:port address the relay prints',
      },
    );
  }
  const profile = Profile.fromEnv(io.env);
  // --relay, else CHAT_RELAY, else the relay of the last login, else the default (§11).
  const relay = args.relay ?? io.env.CHAT_RELAY ?? profile.loadConfig()?.relay ?? DEFAULT_RELAY;
  const address = parseRelayAddress(relay);
  const passphrase = await unlockingPassphrase(io, profile);
  const result = await loginToRelay(profile, args.username, address, {
    agent: AGENT,
    insecure: args.insecure === true,
    dropTlsPin: args.dropTlsPin === true,
    passphrase,
    invite: args.invite,
  });
  if (result.replacedRelayCert && args.insecure) {
    warn(
      io,
      `dropped the pinned TLS certificate for ${result.droppedPinRelay ?? result.relay} (was ${result.replacedRelayCert}): plaintext from now on (--drop-tls-pin)`,
    );
  } else if (result.replacedRelayCert) {
    warn(
      io,
      `accepted a new TLS certificate for ${result.relay} (was ${result.replacedRelayCert}), as the chat:// address asked`,
    );
  }
  if (args.insecure)
    warn(io, '--insecure: plaintext TCP; usernames and traffic are visible on the network (docs/SECURITY.md)');
  if (result.replacedRelayId) {
    warn(
      io,
      `the relay id changed (was ${result.replacedRelayId.slice(0, 16)}…); you have re-joined the relay at ${result.relay} — contacts stay pinned`,
    );
  }
  if (args.json) {
    printJson(io, {
      username: result.username,
      relay: result.relay,
      relayId: result.relayId,
      registered: result.registered,
      relayCert: result.relayCert ?? null,
      address: result.shareableAddress,
      trustedOnFirstUse: result.trustedOnFirstUse,
    });
  } else {
    io.stdout.write(`${result.registered ? 'registered' : 'logged in as'} ${result.username} on ${result.relay}\n`);
    if (result.trustedOnFirstUse) {
      // §5.1: nothing vouched for this certificate; say so, and how to compare it out of band.
      io.stdout.write(
        `relay certificate trusted on first use (${result.relay} names none) and pinned: ${result.shareableAddress}\n` +
          "check it: the relay's operator sees the same chat:// address in chat-relay's start-up output; give others that address\n",
      );
    } else if (result.relayCert !== undefined)
      io.stdout.write(`relay certificate pinned: ${result.shareableAddress}\n`);
  }
  return 0;
}
