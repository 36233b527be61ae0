/** identity.json as `Profile.saveIdentity` seals it under a passphrase, made once per test file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Identity } from '@chat/crypto';
import { Profile } from '../src/engine/profile.js';
import { tempDir } from './helpers.js';

/**
 * The bytes of `identity` sealed under `passphrase` (one scrypt run, N = 2^17): a test writes them into its profile
 * instead of paying scrypt again for an identical file, so only the unlocking under test derives.
 */
export function sealedIdentityFile(identity: Identity, passphrase: string): string {
  const once = tempDir('sealed-identity');
  try {
    const p = new Profile(join(once.dir, 'home'));
    p.saveIdentity(identity, { passphrase });
    return readFileSync(p.identityPath, 'utf8');
  } finally {
    once.cleanup();
  }
}
