/** `chat whoami`: username, relay and fingerprint (§3.3). Reads two small files; no network, no SQLite. */
import { fingerprint } from '@chat/crypto';
import { Profile } from '../engine/profile.js';
import { hint, printJson, type Io } from './io.js';

export interface WhoamiArgs {
  json?: boolean;
}

export async function whoami(args: WhoamiArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  // Public keys only: whoami never needs the passphrase.
  const config = profile.loadConfig();
  const fp = fingerprint(profile.loadIdentityPublicKey());
  const protectedKeys = profile.identityFormat() === 'passphrase';
  // The relay as others should be given it: with the pinned certificate fingerprint (§5.1).
  const relay = config ? (config.relayCert ? `chat://${config.relayCert}@${config.relay}` : config.relay) : undefined;
  if (args.json) {
    printJson(io, {
      username: config?.username ?? null,
      relay: relay ?? null,
      relayId: config?.relayId ?? null,
      insecure: config?.insecure === true,
      fingerprint: fp,
      keys: protectedKeys ? 'passphrase' : 'unencrypted',
      // chat.db is always encrypted (§13.3); its key is protected only as well as the identity keys are.
      history: protectedKeys ? 'encrypted' : 'unprotected',
      home: profile.home,
    });
  } else {
    io.stdout.write(
      `username     ${config?.username ?? '(not logged in)'}\n` +
        `relay        ${relay ?? '-'}${config?.insecure ? ' (insecure: plaintext TCP)' : ''}\n` +
        `relay id     ${config?.relayId ?? '-'}\n` +
        `fingerprint  ${fp}\n` +
        `keys         ${protectedKeys ? 'passphrase-protected' : 'UNENCRYPTED (chat passwd to add a passphrase)'}\n` +
        `history      ${protectedKeys ? 'encrypted under the passphrase' : 'NOT protected: its key is stored unencrypted beside the keys'}\n` +
        `profile      ${profile.home}\n`,
    );
  }
  if (!config) hint(io, 'run chat login <name> --relay host:port');
  return 0;
}
