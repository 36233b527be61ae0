/**
 * Keys at rest (PROTOCOL.md §13) through the binaries: passphrase-sealed identity.json, a wrong passphrase that
 * changes nothing, chat passwd, and an export restored on a fresh CHAT_HOME with the same identity and contacts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, chat, newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';

describe('keys at rest', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    t = tempDir('at-rest');
    relay = await relayInProcess(`${t.dir}/relay`);
    alice = await newUser(t.dir, 'alice', relay, { cli: true });
    // Only alice's keys are under test: bob is a prepared profile (no keygen, no scrypt per command).
    bob = await newUser(t.dir, 'bob', relay);
    expect((await chat(['send', 'bob', 'first'], { home: alice })).code).toBe(0);
    expect((await chat(['recv'], { home: bob })).code).toBe(0);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('keygen seals the secret keys; whoami needs no passphrase', async () => {
    const file = JSON.parse(readFileSync(join(alice, 'identity.json'), 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({
      version: 1,
      format: 'passphrase',
      kdf: { name: 'scrypt', logN: 17, r: 8, p: 1 },
      aead: { name: 'aes-256-gcm' },
    });
    expect(JSON.stringify(file)).not.toContain('secretKey"');
    const who = await chat(['whoami', '--json'], { home: alice, env: { CHAT_PASSPHRASE: undefined } });
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ username: 'alice', keys: 'passphrase' });
  });

  it('a wrong passphrase: exit 7, a clear error, and the key file unchanged', async () => {
    const before = readFileSync(join(alice, 'identity.json'));
    const r = await chat(['send', 'bob', 'x'], { home: alice, env: { CHAT_PASSPHRASE: 'not it' } });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^chat: error: wrong passphrase for .*identity\.json \(BAD_PASSPHRASE\)\n/);
    expect(r.stderr).not.toContain('not it');
    const p = await chat(['passwd'], {
      home: alice,
      env: { CHAT_PASSPHRASE: 'not it', CHAT_NEW_PASSPHRASE: 'whatever' },
    });
    expect(p.code).toBe(7);
    expect(readFileSync(join(alice, 'identity.json'))).toEqual(before);
    expect((await chat(['send', 'bob', 'still mine'], { home: alice })).code).toBe(0);
  });

  it('no passphrase and no terminal: send exits 7 with a hint; keygen is a usage error (exit 2)', async () => {
    const r = await chat(['send', 'bob', 'x'], { home: alice, env: { CHAT_PASSPHRASE: undefined } });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^chat: hint: set CHAT_PASSPHRASE or pass --passphrase-file <file>$/m);
    const home = join(t.dir, 'nokeys');
    const k = await chat(['keygen'], { home, env: { CHAT_PASSPHRASE: undefined } });
    expect(k.code).toBe(2);
    expect(k.stderr).toMatch(/^chat: hint: .*--no-passphrase/m);
    expect(existsSync(join(home, 'identity.json'))).toBe(false);
  });

  it('--passphrase-file and --no-passphrase', async () => {
    const passFile = join(t.dir, 'pass.txt');
    writeFileSync(passFile, `${TEST_PASSPHRASE}\n`);
    expect(
      (
        await chat(['send', 'bob', 'from a file', '--passphrase-file', passFile], {
          home: alice,
          env: { CHAT_PASSPHRASE: undefined },
        })
      ).code,
    ).toBe(0);
    // The flag beats the environment: a wrong CHAT_PASSPHRASE beside it is not used.
    expect(
      (
        await chat(['send', 'bob', 'flag over env', '--passphrase-file', passFile], {
          home: alice,
          env: { CHAT_PASSPHRASE: 'not it' },
        })
      ).code,
    ).toBe(0);
    const home = join(t.dir, 'plain');
    const k = await chat(['keygen', '--no-passphrase'], { home, env: { CHAT_PASSPHRASE: undefined } });
    expect(k.code).toBe(0);
    expect(k.stderr).toMatch(/^chat: warning: --no-passphrase: the private keys in .* are NOT encrypted/m);
    expect(JSON.parse(readFileSync(join(home, 'identity.json'), 'utf8'))).toMatchObject({ format: 'plain' });
  });

  it('chat passwd changes the passphrase: the old one stops working, the new one works', async () => {
    const carol = await newUser(t.dir, 'carol', relay, { sealed: true });
    const p = await chat(['passwd'], { home: carol, env: { CHAT_NEW_PASSPHRASE: 'a new passphrase' } });
    expect(p).toMatchObject({ code: 0, stdout: `changed the passphrase of the keys in ${carol}\n` });
    expect((await chat(['send', 'carol', 'x'], { home: carol })).code).toBe(7);
    expect(
      (await chat(['send', 'carol', 'x'], { home: carol, env: { CHAT_PASSPHRASE: 'a new passphrase' } })).code,
    ).toBe(0);
    const off = await chat(['passwd', '--no-passphrase'], {
      home: carol,
      env: { CHAT_PASSPHRASE: 'a new passphrase' },
    });
    expect(off.code).toBe(0);
    expect((await chat(['send', 'carol', 'y'], { home: carol, env: { CHAT_PASSPHRASE: undefined } })).code).toBe(0);
  });

  it('export, then import on a fresh CHAT_HOME: same identity, same contacts and trust, and it works on the relay', async () => {
    // A verified contact, so the trust state is part of what must survive.
    const sn = (
      JSON.parse((await chat(['verify', 'alice', '--json'], { home: bob })).stdout) as { safetyNumber: string }
    ).safetyNumber;
    expect((await chat(['trust', 'bob', '--verify', sn], { home: alice })).code).toBe(0);
    const backup = join(t.dir, 'alice-backup.txt');
    const backupEnv = { CHAT_BACKUP_PASSPHRASE: 'backup secret' };
    const e = await chat(['key', 'export', '--out', backup], { home: alice, env: backupEnv });
    expect(e.code).toBe(0);
    const text = readFileSync(backup, 'utf8');
    expect(text).toMatch(/^-----BEGIN CHAT BACKUP-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CHAT BACKUP-----\n$/);

    const fresh = join(t.dir, 'alice-restored');
    const wrong = await chat(['key', 'import', backup], { home: fresh, env: { CHAT_BACKUP_PASSPHRASE: 'guess' } });
    expect(wrong.code).toBe(7);
    expect(existsSync(join(fresh, 'identity.json'))).toBe(false);
    const damaged = await chat(['key', 'import', '-'], {
      home: fresh,
      env: backupEnv,
      stdin: text.replace(/\n([A-Za-z])/, (_m, c: string) => `\n${c === 'A' ? 'B' : 'A'}`),
    });
    expect(damaged.code).not.toBe(0);
    expect(existsSync(join(fresh, 'identity.json'))).toBe(false);

    const i = await chat(['key', 'import', backup], {
      home: fresh,
      env: { ...backupEnv, CHAT_PASSPHRASE: 'restored passphrase' },
    });
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/^restored alice \(([0-9A-F]{4} ){7}[0-9A-F]{4}\) and 1 contact\(s\) into /);
    const restoredEnv = { CHAT_PASSPHRASE: 'restored passphrase' };
    const whoOld = JSON.parse((await chat(['whoami', '--json'], { home: alice })).stdout) as Record<string, unknown>;
    const whoNew = JSON.parse((await chat(['whoami', '--json'], { home: fresh })).stdout) as Record<string, unknown>;
    expect({ ...whoNew, home: '' }).toEqual({ ...whoOld, home: '' });
    // The history (contacts included) is encrypted under the restored profile's passphrase now (§13.3).
    const restoredContacts = (await chat(['contacts', '--json'], { home: fresh, env: restoredEnv })).stdout;
    expect(restoredContacts).toBe((await chat(['contacts', '--json'], { home: alice })).stdout);
    expect(restoredContacts).toContain('"trust":"verified"');
    // The restored profile is alice on the relay: it sends and bob verifies her signature under the pinned key.
    expect((await chat(['send', 'bob', 'from the new machine'], { home: fresh, env: restoredEnv })).code).toBe(0);
    const r = await chat(['recv'], { home: bob });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/alice: from the new machine\n$/);
    // A second import without --force is refused.
    expect((await chat(['key', 'import', backup], { home: fresh, env: { ...backupEnv, ...restoredEnv } })).code).toBe(
      1,
    );
  });
});
