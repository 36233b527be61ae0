/**
 * A test's view into a client profile's chat.db, which is encrypted under the storage key in identity.json
 * (PROTOCOL.md §13.3): the key is read as the client reads it (one scrypt run for a passphrase-protected profile,
 * kept per identity.json salt), and the database opened as another process would, synchronously.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEncryptedIdentity } from '../../packages/cli/src/engine/keyfile.js';
import { deriveKeySync } from '../../packages/cli/src/engine/secret-box.js';
import { openStorageKey, storageAad } from '../../packages/cli/src/engine/storage-key.js';
import { keyed, type Db } from '../../packages/cli/src/engine/store/encrypted-db.js';
import { TEST_PASSPHRASE } from '../e2e/harness.js';

const keys = new Map<string, Buffer>();

/** The storage key of the profile in `home`, unlocked with `passphrase` (the harness's by default) if sealed. */
export function profileStorageKey(home: string, passphrase = TEST_PASSPHRASE): Buffer {
  const path = join(home, 'identity.json');
  const o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { storageKey?: string };
  if (o.format !== 'passphrase') {
    if (o.storageKey === undefined) throw new Error(`${path} has no storage key yet`);
    return Buffer.from(o.storageKey, 'base64');
  }
  const f = parseEncryptedIdentity(o, path);
  if (!f.storage) throw new Error(`${path} has no storage key yet`);
  const cacheKey = `${path}\0${Buffer.from(f.salt).toString('hex')}`;
  let key = keys.get(cacheKey);
  if (!key) {
    const derived = deriveKeySync(passphrase, f.salt, f.params);
    key = openStorageKey(derived, f.storage, storageAad(f.identityPk, f.encryptionPk, f.params, f.salt), path);
    keys.set(cacheKey, key);
  }
  return key;
}

/** chat.db of the profile in `home`, opened with its storage key. */
export function openProfileDb(home: string, options: { readonly?: boolean } = {}): Db {
  return keyed(join(home, 'chat.db'), profileStorageKey(home), options);
}

/** Plays a hostile (modified) client that rewrites its own history: one statement on the profile's chat.db. */
export function rewriteHistory(home: string, sql: string, ...values: unknown[]): void {
  const db = openProfileDb(home);
  try {
    db.prepare(sql).run(...values);
  } finally {
    db.close();
  }
}
