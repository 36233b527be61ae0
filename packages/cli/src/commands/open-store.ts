/**
 * The history database for a command that has no session of its own (`chat history`, `search`, `contacts`, `nick`,
 * `block`, `expire`, an interactive session attached to `chat daemon`). chat.db is encrypted under the storage key
 * (PROTOCOL.md §13.3), which comes from, in this order: identity.json itself when the keys are not protected
 * (`--no-passphrase`); the running daemon of this profile, which unlocked it at its start (its socket is this user's
 * alone), so no passphrase is asked and no scrypt runs; else the passphrase (CHAT_PASSPHRASE, --passphrase-file or a
 * prompt), as every command that unlocks the keys.
 */
import { existsSync, renameSync } from 'node:fs';
import type { Profile } from '../engine/profile.js';
import type { OpenOptions, Store } from '../engine/store/store.js';
import type { DaemonClient } from '../daemon/client.js';
import { attachDaemon } from './attach.js';
import { warn, type Io } from './io.js';
import { unlockingPassphrase } from './passphrase.js';

export async function openStore(
  io: Io,
  profile: Profile,
  daemon?: DaemonClient,
  options?: OpenOptions,
): Promise<Store> {
  const key = await storageKeyFor(io, profile, daemon);
  try {
    const { Store } = await import('../engine/store/store.js');
    return Store.open(profile.dbPath, key, options);
  } finally {
    key.fill(0);
  }
}

/** The storage key of `profile`, from where the module comment says. */
export async function storageKeyFor(io: Io, profile: Profile, daemon?: DaemonClient): Promise<Buffer> {
  if (profile.identityFormat() !== 'passphrase') return (await profile.unlockKeys(undefined)).storageKey;
  const fromDaemon = await keyFromDaemon(io, daemon);
  if (fromDaemon) return fromDaemon;
  const keys = await profile.unlockKeys(await unlockingPassphrase(io, profile), { warn: (m) => warn(io, m) });
  return keys.storageKey;
}

/** The daemon's answer, or undefined without a daemon (or one from before `storageKey`, which then is not asked). */
async function keyFromDaemon(io: Io, given: DaemonClient | undefined): Promise<Buffer | undefined> {
  const daemon = given ?? (await attachDaemon(io));
  if (!daemon) return undefined;
  try {
    const { storageKey } = await daemon.request<{ storageKey: string }>('storageKey');
    const key = Buffer.from(storageKey, 'hex');
    return key.length === 32 ? key : undefined;
  } catch {
    return undefined;
  } finally {
    if (!given) daemon.close();
  }
}

/**
 * The storage key new keys should keep when they replace this profile's (`chat keygen --force`, `chat key import
 * --force`), so that the history stays readable: the current one when it can be had without a passphrase (unprotected
 * keys, or the running daemon). Otherwise an encrypted chat.db would no longer open: it is moved aside, with a warning,
 * and the new keys start an empty history. A plaintext chat.db (from before §13.3) is kept: the new key encrypts it.
 */
export async function storageKeyForNewKeys(io: Io, profile: Profile): Promise<Buffer | undefined> {
  if (!profile.hasIdentity() || !existsSync(profile.dbPath)) return undefined;
  const { isPlaintext } = await import('../engine/store/encrypted-db.js');
  if (isPlaintext(profile.dbPath)) return undefined;
  try {
    if (profile.identityFormat() !== 'passphrase') return (await profile.unlockKeys(undefined)).storageKey;
  } catch {
    /* a damaged file: nothing to keep */
  }
  const fromDaemon = await keyFromDaemon(io, undefined);
  if (fromDaemon) return fromDaemon;
  const aside = `${profile.dbPath}.replaced-${new Date().toISOString().replaceAll(':', '-')}`;
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    if (existsSync(`${profile.dbPath}${suffix}`)) renameSync(`${profile.dbPath}${suffix}`, `${aside}${suffix}`);
  warn(
    io,
    `the history was encrypted under the replaced keys; moved it to ${aside}, which only they open (keep the old identity.json to read it)`,
  );
  return undefined;
}
