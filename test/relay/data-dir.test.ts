/**
 * The relay's data directory must be its operator's (review 2026-12-06, finding 3; SECURITY.md "Local users on the
 * relay host"): a local user who can write the directory, or who owns a file in it, could plant relay.json (admins,
 * limits) or tls-key.pem / tls-cert.pem (the identity every client pins), and the relay, often started as root,
 * served with them. Each case failed before: the relay started and used what was planted.
 */
import { chmodSync, chownSync, copyFileSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirUnsafeError, resolveConfig, startRelay } from '@chat/relay';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const root = tempDir('data-dir');
cleanups.push(() => root.cleanup());
const asRoot = process.getuid?.() === 0;
const OTHER = 65534; // nobody

/** A complete data directory made by a real relay (its TLS pair, databases), then stopped. */
let n = 0;
async function madeByRelay(): Promise<string> {
  const dir = join(root.dir, `d${n++}`);
  await (await relayInProcess(dir)).close();
  return dir;
}

async function refused(dir: string, pattern: RegExp): Promise<void> {
  const start = startRelay({ host: '127.0.0.1', port: 0, dataDir: dir, controlSocket: false });
  await start.then(
    (r) => r.close(),
    () => {},
  );
  await expect(start).rejects.toBeInstanceOf(DataDirUnsafeError);
  await expect(start).rejects.toThrow(pattern);
}

describe('the data directory', () => {
  it('a new data directory and everything the relay creates in it is private', async () => {
    const dir = await madeByRelay();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ['tls-key.pem', 'tls-cert.pem', 'relay.db', 'rooms.db'])
      expect((statSync(join(dir, f)).mode & 0o777).toString(8), f).toBe('600');
  });

  it('is refused when group or others can write it, before anything in it is read or created', async () => {
    const dir = join(root.dir, 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    await refused(dir, /open is writable by group or others \(mode 1777\)/);
    expect(() => statSync(join(dir, 'relay.db'))).toThrow(/ENOENT/);
    expect(() => statSync(join(dir, 'tls-key.pem'))).toThrow(/ENOENT/);
  });

  it.skipIf(!asRoot)('is refused when another user owns it', async () => {
    const dir = await madeByRelay();
    chownSync(dir, OTHER, OTHER);
    await refused(dir, /belongs to another user \(uid 65534\)/);
  });

  it.skipIf(!asRoot)('a TLS pair, relay.db or rooms.db planted by another user is refused', async () => {
    for (const f of ['tls-key.pem', 'tls-cert.pem', 'relay.db', 'rooms.db']) {
      const dir = await madeByRelay();
      chownSync(join(dir, f), OTHER, OTHER);
      await refused(dir, new RegExp(`${f.replace('.', '\\.')} belongs to another user`));
    }
  });

  it('a group-writable file, or a private key others can read, is refused', async () => {
    const dir = await madeByRelay();
    chmodSync(join(dir, 'relay.db'), 0o664);
    await refused(dir, /relay\.db is writable by group or others \(mode 0664\)/);
    const other = await madeByRelay();
    chmodSync(join(other, 'tls-key.pem'), 0o644);
    await refused(other, /tls-key\.pem is readable or writable by group or others .*private key/);
  });

  it('a symbolic link in place of a file is not followed', async () => {
    const dir = await madeByRelay();
    const elsewhere = join(root.dir, 'elsewhere-key.pem');
    copyFileSync(join(dir, 'tls-key.pem'), elsewhere);
    rmSync(join(dir, 'tls-key.pem'));
    symlinkSync(elsewhere, join(dir, 'tls-key.pem'));
    await refused(dir, /tls-key\.pem is a symbolic link/);
  });

  it.skipIf(!asRoot)("the data directory's relay.json planted by another user is refused by the config", () => {
    const dir = join(root.dir, 'config');
    mkdirSync(dir, { mode: 0o700 });
    const file = join(dir, 'relay.json');
    writeFileSync(file, JSON.stringify({ admins: ['mallory:00000000000000000000000000000000'] }), { mode: 0o644 });
    chownSync(file, OTHER, OTHER);
    expect(() => resolveConfig({ env: {}, flags: new Map([['dataDir', dir]]) })).toThrow(DataDirUnsafeError);
    chownSync(file, 0, 0);
    expect(resolveConfig({ env: {}, flags: new Map([['dataDir', dir]]) }).config.admins).toHaveLength(1);
  });
});
