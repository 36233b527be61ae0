/**
 * Re-wrapping at unlock (PROTOCOL.md §13.1): an identity.json sealed with less scrypt work than IDENTITY_SCRYPT is
 * sealed again, after a successful unlock, with the same passphrase, a fresh salt and nonce and IDENTITY_SCRYPT, so
 * keys made by older versions get the stronger parameters without the user doing anything.
 */
import { readFileSync } from 'node:fs';
import { toBase64, type Identity } from '@chat/crypto';
import { writePrivateFileAtomic } from './files.js';
import { encryptIdentityAsync, type ParsedEncrypted } from './keyfile.js';
import { IDENTITY_SCRYPT, weakerThan } from './secret-box.js';

export type Warn = (message: string) => void;

export function needsRewrap(f: Pick<ParsedEncrypted, 'params'>): boolean {
  return weakerThan(f.params, IDENTITY_SCRYPT);
}

/**
 * Writes the re-wrapped file atomically (temp file 0600, fsync, rename: identity.json is the old file or the new one
 * at every instant). Any failure (read-only directory, full disk, the file changed meanwhile) leaves the old file,
 * which still opens, and is reported through `warn`: the unlock itself has succeeded and goes on.
 * @returns whether the file was rewritten.
 */
export async function rewrapIdentity(
  path: string,
  before: ParsedEncrypted,
  identity: Identity,
  storageKey: Uint8Array,
  passphrase: string,
  created: string,
  warn: Warn,
  write: (path: string, data: string) => void = writePrivateFileAtomic,
): Promise<boolean> {
  try {
    const file = await encryptIdentityAsync(identity, passphrase, created, storageKey, IDENTITY_SCRYPT);
    // `chat passwd` may have replaced the file while scrypt ran; writing now would bring the old passphrase back.
    // Every write has a fresh salt, so an unchanged salt means an unchanged file (a narrow window remains until the
    // rename, acceptable for one user's profile).
    if (!sameSalt(path, before.salt)) return false;
    write(path, `${JSON.stringify(file, null, 2)}\n`);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
    warn(
      `could not re-wrap ${path} with stronger scrypt parameters (${code}); the key file is unchanged and still ` +
        'opens with the same passphrase; the next unlock tries again',
    );
    return false;
  }
}

/** True when identity.json still has `salt`: every write has a fresh one, so nobody rewrote it meanwhile. */
export function sameSalt(path: string, salt: Uint8Array): boolean {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as { kdf?: { salt?: unknown } };
    return o.kdf?.salt === toBase64(salt);
  } catch {
    return false;
  }
}
