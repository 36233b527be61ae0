/** `chat keygen`: a new identity (Ed25519 + X25519, §1) in the profile, mode 0600. No network, no SQLite. */
import { fingerprint, generateIdentity } from '@chat/crypto';
import { Profile } from '../engine/profile.js';
import { printJson, warn, type Io } from './io.js';

export interface KeygenArgs {
  force?: boolean;
  json?: boolean;
}

export async function keygen(args: KeygenArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  const replacing = args.force === true && profile.hasIdentity();
  const identity = generateIdentity();
  profile.saveIdentity(identity, { force: args.force === true });
  const fp = fingerprint(identity.identity.publicKey);
  if (args.json) {
    printJson(io, { fingerprint: fp, home: profile.home });
  } else {
    io.stdout.write(`created a new identity in ${profile.home}\nfingerprint: ${fp}\n`);
  }
  if (replacing) {
    warn(io, 'replaced the previous identity; a relay refuses the new key for a username the old one registered (KEY_MISMATCH)');
  }
  if (!args.json && !profile.loadConfig()) io.stdout.write('next: chat login <name> --relay host:port\n');
  return 0;
}
