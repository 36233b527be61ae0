/**
 * Start-up of `chat send` / `chat recv` with CHAT_PASSPHRASE set: starts the scrypt of the identity's key
 * (PROTOCOL.md §13.1) before the rest of the binary has loaded, so the two run side by side. This only warms
 * secret-box.ts's deriveKey: the unlock later reads the file, checks it and asks for the key as always, and takes
 * this derivation only if its passphrase, salt and parameters are exactly these. Anything unexpected here (no file,
 * another format, bad JSON) just derives nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDENTITY_FILE, profileHome, type Env } from '../engine/home.js';
import { prederiveKey } from '../engine/secret-box.js';

export function prederiveIdentityKey(env: Env): void {
  const passphrase = env.CHAT_PASSPHRASE;
  if (!passphrase) return;
  let kdf: { name?: unknown; logN?: unknown; r?: unknown; p?: unknown; salt?: unknown };
  try {
    const file = JSON.parse(readFileSync(join(profileHome(env), IDENTITY_FILE), 'utf8')) as {
      format?: unknown;
      kdf?: typeof kdf;
    };
    if (file.format !== 'passphrase' || typeof file.kdf !== 'object' || file.kdf === null) return;
    kdf = file.kdf;
  } catch {
    return;
  }
  if (kdf.name !== 'scrypt' || typeof kdf.salt !== 'string') return;
  prederiveKey(passphrase, Buffer.from(kdf.salt, 'base64'), {
    logN: kdf.logN as number,
    r: kdf.r as number,
    p: kdf.p as number,
  });
}
