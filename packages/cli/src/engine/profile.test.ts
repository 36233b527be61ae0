import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity, toBase64 } from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { ChatError } from './errors.js';
import { ensurePrivateDir } from './files.js';
import { Profile, profileHome } from './profile.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

function thrown(f: () => unknown): ChatError {
  try {
    f();
  } catch (e) {
    if (e instanceof ChatError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('profileHome', () => {
  it('prefers CHAT_HOME, then XDG_CONFIG_HOME/chat, then ~/.config/chat', () => {
    expect(profileHome({ CHAT_HOME: '/p/home', XDG_CONFIG_HOME: '/x' })).toBe('/p/home');
    expect(profileHome({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/chat');
    expect(profileHome({ HOME: '/h' })).toBe('/h/.config/chat');
    // A relative XDG_CONFIG_HOME is invalid per the XDG spec.
    expect(profileHome({ XDG_CONFIG_HOME: 'rel', HOME: '/h' })).toBe('/h/.config/chat');
  });
});

describe('Profile', () => {
  let t: ReturnType<typeof tempDir>;
  let profile: Profile;
  beforeEach(() => {
    t = tempDir('profile');
    profile = new Profile(join(t.dir, 'nested', 'chat'));
  });
  afterEach(() => t.cleanup());

  it('writes the identity 0600 in a 0700 directory and reads it back', () => {
    const id = generateIdentity();
    profile.saveIdentity(id);
    expect(mode(profile.home)).toBe(0o700);
    expect(mode(profile.identityPath)).toBe(0o600);
    const back = profile.loadIdentity();
    expect(back.identity.publicKey).toEqual(id.identity.publicKey);
    expect(back.encryption.secretKey).toEqual(id.encryption.secretKey);
    const file = JSON.parse(readFileSync(profile.identityPath, 'utf8')) as Record<string, unknown>;
    expect(file.version).toBe(1);
    expect(file.format).toBe('plain');
    // No temp files left behind by the atomic write.
    expect(readdirSync(profile.home)).toEqual(['identity.json']);
  });

  it('a directory that cannot be made is DIRECTORY_NOT_CREATED at once, with the path and the reason', () => {
    // Under /proc, Node 20's recursive mkdirSync looped for ever at 100 % CPU; under a file it is ENOTDIR.
    const e = thrown(() => new Profile('/proc/nonexistent/chat').saveIdentity(generateIdentity()));
    expect(e.code).toBe('DIRECTORY_NOT_CREATED');
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe('cannot create the directory /proc/nonexistent/chat (at /proc/nonexistent): ENOENT');
    const file = join(t.dir, 'plain-file');
    writeFileSync(file, 'x');
    const under = thrown(() => ensurePrivateDir(join(file, 'downloads', 'x')));
    expect(under.code).toBe('DIRECTORY_NOT_CREATED');
    expect(under.message).toBe(
      `cannot create the directory ${join(file, 'downloads', 'x')} (at ${join(file, 'downloads')}): ENOTDIR`,
    );
  });

  it('refuses to overwrite an identity without force', () => {
    const first = generateIdentity();
    profile.saveIdentity(first);
    const e = thrown(() => profile.saveIdentity(generateIdentity()));
    expect(e.code).toBe('IDENTITY_EXISTS');
    expect(profile.loadIdentity().identity.publicKey).toEqual(first.identity.publicKey);
    const second = generateIdentity();
    profile.saveIdentity(second, { force: true });
    expect(profile.loadIdentity().identity.publicKey).toEqual(second.identity.publicKey);
    expect(mode(profile.identityPath)).toBe(0o600);
  });

  it('reports a missing identity with the keygen hint', () => {
    const e = thrown(() => profile.loadIdentity());
    expect(e.code).toBe('NO_IDENTITY');
    expect(e.exitCode).toBe(1);
    expect(e.hint).toBe('run chat keygen');
  });

  it('detects a damaged identity file without echoing it', () => {
    profile.saveIdentity(generateIdentity());
    const file = JSON.parse(readFileSync(profile.identityPath, 'utf8')) as { identity: { publicKey: string } };
    file.identity.publicKey = toBase64(new Uint8Array(32).fill(7));
    writeFileSync(profile.identityPath, JSON.stringify(file));
    expect(thrown(() => profile.loadIdentity()).code).toBe('PROFILE_CORRUPT');
    writeFileSync(profile.identityPath, '{"secret": "hunter2"');
    const e = thrown(() => profile.loadIdentity());
    expect(e.code).toBe('PROFILE_CORRUPT');
    expect(e.message).not.toContain('hunter2');
  });

  it('refuses an identity format it does not know (a later passphrase format)', () => {
    profile.saveIdentity(generateIdentity());
    const file = JSON.parse(readFileSync(profile.identityPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(profile.identityPath, JSON.stringify({ ...file, format: 'scrypt' }));
    const e = thrown(() => profile.loadIdentity());
    expect(e.code).toBe('PROFILE_CORRUPT');
    expect(e.message).toContain('scrypt');
  });

  it('stores config.json 0600 and requires it with the login hint', () => {
    expect(profile.loadConfig()).toBeUndefined();
    const e = thrown(() => profile.requireConfig());
    expect(e.code).toBe('NOT_LOGGED_IN');
    expect(e.hint).toBe('run chat login <name> --relay host:port');
    const cfg = { version: 1 as const, username: 'alice', relay: '127.0.0.1:7717', relayId: 'ab'.repeat(32) };
    profile.saveConfig(cfg);
    expect(mode(profile.configPath)).toBe(0o600);
    expect(profile.requireConfig()).toEqual(cfg);
  });

  it('refuses a config with an invalid username or relay id', () => {
    profile.saveConfig({ version: 1, username: 'alice', relay: 'x:1', relayId: 'ab'.repeat(32) });
    const raw = JSON.parse(readFileSync(profile.configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(profile.configPath, JSON.stringify({ ...raw, username: 'Not Valid' }));
    expect(thrown(() => profile.loadConfig()).code).toBe('PROFILE_CORRUPT');
    writeFileSync(profile.configPath, JSON.stringify({ ...raw, relayId: 'xyz' }));
    expect(thrown(() => profile.loadConfig()).code).toBe('PROFILE_CORRUPT');
  });
});
