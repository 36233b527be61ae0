/**
 * A profile another local user can write to (issue 14, finding 14; SECURITY.md): chat refuses a CHAT_HOME, or a
 * file in it, that is writable by group or others, as OpenSSH's StrictModes does, with a hint naming chmod; and the
 * relay creates its databases 0600. Modes only here (CI runs as root, which owns everything); the ownership rule is
 * tested with an injected uid in packages/cli/src/engine/strict-modes.test.ts.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser } from './harness.js';
import { relayBinary as startRelay, type BinaryRelay as Relay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

describe('profile and relay data modes', () => {
  let t: ReturnType<typeof tempDir>;
  let relay: Relay;

  beforeAll(async () => {
    t = tempDir('modes');
    const data = join(t.dir, 'relay');
    mkdirSync(data, { mode: 0o755 }); // a pre-existing data directory, as an operator might make it
    chmodSync(data, 0o755);
    relay = await startRelay(data);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('the relay creates relay.db and rooms.db 0600 in a pre-existing 0755 directory', () => {
    for (const f of ['relay.db', 'rooms.db'])
      expect((statSync(join(relay.dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
  });

  it('a CHAT_HOME that cannot be made (under /proc) fails at once with its reason (exit 1)', async () => {
    // Node 20's recursive mkdirSync spun at 100 % CPU there; the profile's directories are made one by one.
    const r = await chat(['keygen', '--no-passphrase'], { home: '/proc/nonexistent/chat' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'chat: error: cannot create the directory /proc/nonexistent/chat (at /proc/nonexistent): ENOENT (DIRECTORY_NOT_CREATED)\n',
    );
  });

  it('a group- or world-writable CHAT_HOME is refused before config.json is read', async () => {
    const home = await newUser(t.dir, 'alice', relay);
    expect((await chat(['whoami'], { home })).code).toBe(0);
    // Another user could plant a config.json redirecting alice to their relay and certificate.
    const planted = { ...JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')), relay: '203.0.113.9:7717' };
    writeFileSync(join(home, 'config.json'), JSON.stringify(planted));
    chmodSync(home, 0o777);
    const r = await chat(['whoami'], { home });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^chat: error: .*writable by group or others/m);
    expect(r.stderr).toContain(`chat: hint: chmod go-w ${home}`);
    expect(r.stdout).not.toContain('203.0.113.9');
    chmodSync(home, 0o700);
  });

  it('a group-writable file in the profile (config.json, chat.db) is refused', async () => {
    const home = await newUser(t.dir, 'bob', relay);
    expect((await chat(['send', 'bob', 'note'], { home })).code).toBe(0);
    for (const f of ['config.json', 'chat.db']) {
      const path = join(home, f);
      chmodSync(path, 0o664);
      const r = await chat(['send', 'bob', 'hi'], { home });
      expect(r.code, f).not.toBe(0);
      expect(r.stderr, f).toContain(`chat: hint: chmod go-w ${path}`);
      chmodSync(path, 0o600);
    }
    expect((await chat(['send', 'bob', 'fine again'], { home })).code).toBe(0);
  });
});
