import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity, toBase64 } from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../../test/helpers.js';
import type { ChatError } from './errors.js';
import { writePrivateFileAtomic } from './files.js';
import { encryptIdentity } from './keyfile.js';
import { Profile } from './profile.js';

const PASS = 'storage key passphrase';
/** Cheap parameters for files written by the test (a reader accepts logN ≥ 10); unlocks re-wrap them to today's. */
const CHEAP = { logN: 10, r: 8, p: 1 };

describe('the storage key in identity.json (PROTOCOL.md §13.3)', () => {
  let t: TempDir;
  let profile: Profile;
  const id = generateIdentity();
  const key = new Uint8Array(32).fill(3);
  const file = () => JSON.parse(readFileSync(profile.identityPath, 'utf8')) as Record<string, any>;
  const write = (o: object) => writePrivateFileAtomic(profile.identityPath, JSON.stringify(o));
  beforeEach(() => {
    t = tempDir('storage-key');
    profile = new Profile(join(t.dir, 'p'));
  });
  afterEach(() => t.cleanup());

  it('is sealed beside the secret keys and comes back with the passphrase; never in the file in the clear', async () => {
    write(encryptIdentity(id, PASS, 'then', key, CHEAP));
    expect(readFileSync(profile.identityPath).includes(Buffer.from(key).toString('base64'))).toBe(false);
    const keys = await profile.unlockKeys(PASS, { rewrap: false });
    expect(Buffer.from(keys.storageKey).equals(Buffer.from(key))).toBe(true);
    expect(keys.identity.identity.secretKey).toEqual(id.identity.secretKey);
  });

  it('a changed storage box fails its tag: BAD_PASSPHRASE, nothing written', async () => {
    const f = encryptIdentity(id, PASS, 'then', key, CHEAP);
    const sealed = Buffer.from(f.storage!.sealed, 'base64');
    sealed[0]! ^= 1;
    write({ ...f, storage: { ...f.storage, sealed: sealed.toString('base64') } });
    const before = readFileSync(profile.identityPath, 'utf8');
    const err = await profile.unlockKeys(PASS, { rewrap: false }).catch((e: unknown) => e);
    expect((err as ChatError).code).toBe('BAD_PASSPHRASE');
    expect(readFileSync(profile.identityPath, 'utf8')).toBe(before);
  });

  it('a passphrase file from before gets one at its first unlock, sealed anew; the next unlock returns the same', async () => {
    const { storage: _none, ...old } = encryptIdentity(id, PASS, 'then', key, CHEAP);
    write(old);
    const first = await profile.unlockKeys(PASS);
    const after = file();
    expect(after.storage).toMatchObject({ nonce: expect.any(String), sealed: expect.any(String) });
    expect(after.kdf.logN).toBe(17); // sealed anew with today's parameters
    expect(after.created).toBe('then');
    const second = await profile.unlockKeys(PASS);
    expect(Buffer.from(second.storageKey).equals(first.storageKey)).toBe(true);
    expect(second.identity.encryption.secretKey).toEqual(id.encryption.secretKey);
  });

  it('a plain file from before gets one in the clear at its first load; the next load returns the same', async () => {
    profile.saveIdentity(id);
    const { storageKey: _none, ...old } = file();
    write(old);
    const first = await profile.unlockKeys(undefined);
    expect(file().storageKey).toBe(toBase64(first.storageKey));
    const second = await profile.unlockKeys(undefined);
    expect(Buffer.from(second.storageKey).equals(first.storageKey)).toBe(true);
  });

  it('a new passphrase (chat passwd) keeps the storage key: only its seal changes', async () => {
    profile.saveIdentity(id, { storageKey: key });
    const plain = await profile.unlockKeys(undefined);
    profile.saveIdentity(plain.identity, { force: true, passphrase: PASS, storageKey: plain.storageKey });
    expect(file().storageKey).toBeUndefined();
    const sealed = await profile.unlockKeys(PASS, { rewrap: false });
    expect(Buffer.from(sealed.storageKey).equals(Buffer.from(key))).toBe(true);
  });
});
