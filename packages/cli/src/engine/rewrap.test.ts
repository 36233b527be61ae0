import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity } from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { writePrivateFileAtomic } from './files.js';
import { encryptIdentity, parseEncryptedIdentity } from './keyfile.js';
import { Profile } from './profile.js';
import { rewrapIdentity } from './rewrap.js';
import { BACKUP_SCRYPT, IDENTITY_SCRYPT, checkScryptParams, scryptOptions } from './secret-box.js';

const OLD = { logN: 15, r: 8, p: 1 };
const PASS = 'correct horse';

describe('re-wrapping identity.json sealed with weaker scrypt parameters (PROTOCOL.md §13.1)', () => {
  let t: ReturnType<typeof tempDir>;
  let profile: Profile;
  const id = generateIdentity();
  const STORAGE_KEY = new Uint8Array(32).fill(9);
  const created = '2026-01-02T03:04:05.000Z';
  beforeEach(() => {
    t = tempDir('rewrap');
    profile = new Profile(join(t.dir, 'p'));
    // As written by an older version: logN 15 (one cheap derivation).
    writePrivateFileAtomic(profile.identityPath, JSON.stringify(encryptIdentity(id, PASS, created, STORAGE_KEY, OLD)));
  });
  afterEach(() => t.cleanup());
  const file = () => JSON.parse(readFileSync(profile.identityPath, 'utf8')) as Record<string, any>;

  it('the first unlock re-wraps to logN 17 with a new salt; the same passphrase opens the new file', async () => {
    const before = file();
    const warnings: string[] = [];
    const back = await profile.unlockIdentity(PASS, { warn: (m) => warnings.push(m) });
    expect(back.identity.secretKey).toEqual(id.identity.secretKey);
    expect(warnings).toEqual([]);
    const after = file();
    expect(after.kdf).toMatchObject({ name: 'scrypt', logN: 17, r: 8, p: 1 });
    expect(after.kdf.salt).not.toBe(before.kdf.salt);
    expect(after.aead.nonce).not.toBe(before.aead.nonce);
    expect(after.created).toBe(created);
    expect(statSync(profile.identityPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(profile.home)).toEqual(['identity.json']); // no temp file left behind
    const text = readFileSync(profile.identityPath, 'utf8');
    const again = await profile.unlockIdentity(PASS);
    expect(again.encryption.secretKey).toEqual(id.encryption.secretKey);
    expect(readFileSync(profile.identityPath, 'utf8')).toBe(text); // strong enough now: not rewritten again
  });

  it('a failed rewrite warns and leaves the old file, which still opens', async () => {
    const text = readFileSync(profile.identityPath, 'utf8');
    const parsed = parseEncryptedIdentity(file(), profile.identityPath);
    const warnings: string[] = [];
    const readOnly = (): void => {
      throw Object.assign(new Error('read-only file system'), { code: 'EROFS' });
    };
    const done = await rewrapIdentity(
      profile.identityPath,
      parsed,
      id,
      STORAGE_KEY,
      PASS,
      created,
      (m) => warnings.push(m),
      readOnly,
    );
    expect(done).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not re-wrap .*identity\.json .*\(EROFS\); the key file is unchanged/);
    expect(readFileSync(profile.identityPath, 'utf8')).toBe(text);
    const back = await profile.unlockIdentity(PASS, { rewrap: false });
    expect(back.identity.secretKey).toEqual(id.identity.secretKey);
  });
});

describe('scrypt parameter bounds (no derivation)', () => {
  it('accepts what writers use and refuses absurd values', () => {
    expect(checkScryptParams(IDENTITY_SCRYPT)).toBe(true);
    expect(checkScryptParams(BACKUP_SCRYPT)).toBe(true);
    expect(checkScryptParams(OLD)).toBe(true);
    for (const bad of [
      { logN: 21, r: 8, p: 1 },
      { logN: 9, r: 8, p: 1 },
      { logN: 17.5, r: 8, p: 1 },
      { logN: 17, r: 33, p: 1 },
      { logN: 17, r: 8, p: 5 },
      { logN: 17, r: 0, p: 1 },
      { logN: 20, r: 16, p: 1 }, // 2 GiB
      { logN: 18, r: 32, p: 4 }, // 4 GiB
    ])
      expect(checkScryptParams(bad), JSON.stringify(bad)).toBe(false);
  });

  it('passes Node a maxmem above what the parameters need (its default, 32 MiB, is below 2^17 · 8 · 128 B)', () => {
    expect(scryptOptions(IDENTITY_SCRYPT).maxmem).toBeGreaterThan(128 * 2 ** 17 * 8);
    expect(scryptOptions(BACKUP_SCRYPT).maxmem).toBeGreaterThan(128 * 2 ** 18 * 8);
  });
});
