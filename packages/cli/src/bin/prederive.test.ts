/** The early scrypt of `chat send` / `chat recv`: used when it matches exactly, harmless when it does not. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { generateIdentity } from '@chat/crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sealedIdentityFile } from '../../test/sealed-identity.js';
import { tempDir } from '../../test/helpers.js';
import { Profile } from '../engine/profile.js';
import { prederiveKey } from '../engine/secret-box.js';
import { prederiveIdentityKey } from './prederive.js';

// Counts node:crypto scrypt calls (the ES module bindings follow the CommonJS object after syncBuiltinESMExports).
const crypto = createRequire(import.meta.url)('node:crypto') as { scrypt: (...args: unknown[]) => void };
const realScrypt = crypto.scrypt;
let scrypts = 0;

describe('prederiveIdentityKey', () => {
  let t: ReturnType<typeof tempDir>;
  let home: string;
  const identity = generateIdentity();
  /** identity.json as saveIdentity seals it, made once: each test writes these bytes instead of paying scrypt again. */
  let sealed = '';
  beforeAll(() => {
    sealed = sealedIdentityFile(identity, 'right one');
  });
  beforeEach(() => {
    t = tempDir('prederive');
    home = join(t.dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    writeFileSync(new Profile(home).identityPath, sealed, { mode: 0o600 });
    scrypts = 0;
    crypto.scrypt = (...args: unknown[]) => {
      scrypts++;
      realScrypt(...args);
    };
    syncBuiltinESMExports();
  });
  afterEach(() => {
    crypto.scrypt = realScrypt;
    syncBuiltinESMExports();
    t.cleanup();
  });

  it('the unlock takes the early derivation: one scrypt in all', async () => {
    prederiveIdentityKey({ CHAT_HOME: home, CHAT_PASSPHRASE: 'right one' });
    expect(scrypts).toBe(1);
    const unlocked = await new Profile(home).unlockIdentity('right one');
    expect(unlocked.identity.publicKey).toEqual(identity.identity.publicKey);
    expect(scrypts).toBe(1);
    await new Profile(home).unlockIdentity('right one'); // taken once: the next unlock derives its own
    expect(scrypts).toBe(2);
  });

  it('a different passphrase is not answered from it: the unlock derives its own, and the wrong one still fails', async () => {
    prederiveIdentityKey({ CHAT_HOME: home, CHAT_PASSPHRASE: 'wrong one' });
    await expect(new Profile(home).unlockIdentity('wrong one!')).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    expect(scrypts).toBe(2);
    const unlocked = await new Profile(home).unlockIdentity('right one');
    expect(unlocked.identity.publicKey).toEqual(identity.identity.publicKey);
  });

  it('derives nothing without CHAT_PASSPHRASE, without an identity, or for unencrypted keys', () => {
    prederiveIdentityKey({ CHAT_HOME: home });
    prederiveIdentityKey({ CHAT_HOME: join(t.dir, 'nobody'), CHAT_PASSPHRASE: 'x' });
    const plain = join(t.dir, 'plain');
    new Profile(plain).saveIdentity(generateIdentity());
    prederiveIdentityKey({ CHAT_HOME: plain, CHAT_PASSPHRASE: 'x' });
    expect(scrypts).toBe(0);
  });

  it('prederiveKey checks the parameters before deriving anything (§13.1)', () => {
    const salt = new Uint8Array(16);
    prederiveKey('p', salt, { logN: 21, r: 8, p: 1 });
    prederiveKey('p', salt, { logN: 20, r: 32, p: 4 });
    prederiveKey('p', new Uint8Array(15), { logN: 15, r: 8, p: 1 });
    expect(scrypts).toBe(0);
  });
});
