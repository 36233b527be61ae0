import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity, toBase64 } from '@chat/crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sealedIdentityFile } from '../../test/sealed-identity.js';
import { tempDir, failure } from '../../test/helpers.js';
import { Profile } from './profile.js';

describe('passphrase-protected identity.json (PROTOCOL.md §13.1)', () => {
  let t: ReturnType<typeof tempDir>;
  let profile: Profile;
  const id = generateIdentity();
  /**
   * The file saveIdentity wrote, sealed once: every test starts from (or goes back to) these bytes instead of paying
   * another scrypt run (N = 2^17) for an identical file. Only unlocking, which is under test, derives.
   */
  let sealed = '';
  const fresh = (): void => writeFileSync(profile.identityPath, sealed, { mode: 0o600 });
  beforeAll(() => {
    sealed = sealedIdentityFile(id, 'pässword');
  });
  beforeEach(() => {
    t = tempDir('keyfile');
    profile = new Profile(join(t.dir, 'p'));
    mkdirSync(profile.home, { mode: 0o700 });
    fresh();
  });
  afterEach(() => t.cleanup());

  const edit = (f: (o: Record<string, any>) => void): void => {
    const o = JSON.parse(readFileSync(profile.identityPath, 'utf8')) as Record<string, any>;
    f(o);
    writeFileSync(profile.identityPath, JSON.stringify(o));
  };

  it('round-trips with the passphrase (NFC-normalised) and keeps the secrets out of the file', async () => {
    const back = await profile.unlockIdentity('pa\u0308ssword'); // "ä" decomposed
    expect(back.identity.secretKey).toEqual(id.identity.secretKey);
    expect(back.encryption.secretKey).toEqual(id.encryption.secretKey);
    const text = readFileSync(profile.identityPath, 'utf8');
    expect(text).not.toContain(toBase64(id.identity.secretKey));
    expect(text).not.toContain(toBase64(id.encryption.secretKey));
    expect(profile.identityFormat()).toBe('passphrase');
    expect(profile.loadIdentityPublicKey()).toEqual(id.identity.publicKey);
  });

  it('a wrong passphrase is BAD_PASSPHRASE (exit 7); none is PASSPHRASE_REQUIRED (exit 7)', async () => {
    expect(await failure(profile.unlockIdentity('password'))).toMatchObject({ code: 'BAD_PASSPHRASE', exitCode: 7 });
    expect(await failure(profile.unlockIdentity(undefined))).toMatchObject({
      code: 'PASSPHRASE_REQUIRED',
      exitCode: 7,
    });
    expect(() => profile.loadIdentity()).toThrow(expect.objectContaining({ code: 'PASSPHRASE_REQUIRED' }));
  });

  it('a swapped public key or changed KDF parameters fail the tag (the AAD binds them)', async () => {
    edit((o) => (o.encryption.publicKey = toBase64(generateIdentity().encryption.publicKey)));
    expect((await failure(profile.unlockIdentity('pässword'))).code).toBe('BAD_PASSPHRASE');
    fresh();
    edit((o) => (o.kdf.r = 9));
    expect((await failure(profile.unlockIdentity('pässword'))).code).toBe('BAD_PASSPHRASE');
  });

  it('refuses out-of-range scrypt parameters before deriving anything, and damaged fields', async () => {
    edit((o) => (o.kdf.logN = 30));
    expect((await failure(profile.unlockIdentity('pässword'))).code).toBe('PROFILE_CORRUPT');
    fresh();
    edit((o) => (o.aead.nonce = 'AAAA'));
    expect((await failure(profile.unlockIdentity('pässword'))).code).toBe('PROFILE_CORRUPT');
    fresh();
    edit((o) => (o.kdf.name = 'argon2id'));
    expect((await failure(profile.unlockIdentity('pässword'))).code).toBe('PROFILE_CORRUPT');
  });
});
