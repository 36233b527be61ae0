/**
 * `chat nick` (issue 15) through the built binaries: a local nickname beside the username (never instead of it) in
 * `chat contacts`, `chat recv`, `chat history`, their JSON, and the refusals; a hostile nickname is refused. And
 * `chat key export` / `import` carry nicknames, blocked users and disappearing-message timers (§13.2).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chat, e2eWorld, jsonLines } from './harness.js';

describe('chat nick', () => {
  const { home, run, dir } = e2eWorld('e2e-nick', ['alice', 'bob']);

  it('is shown beside the username in contacts, recv and history; --clear removes it', async () => {
    await run('alice', ['send', 'bob', 'hi bob']);
    expect((await run('bob', ['nick', 'Alice', 'Al', 'from', 'ops'])).stdout).toBe(
      'alice is shown as alice (Al from ops)\n',
    );
    expect((await run('bob', ['recv'])).stdout).toMatch(/^\[[^\]]+\] alice \(Al from ops\): hi bob\n$/);
    await run('alice', ['send', 'bob', 'again']);
    const [event] = jsonLines((await run('bob', ['recv', '--json'])).stdout);
    expect(event).toMatchObject({ type: 'message', from: 'alice', nickname: 'Al from ops', body: 'again' });
    expect((await run('bob', ['contacts'])).stdout).toMatch(/^alice \(Al from ops\) {2}[0-9A-F]{4} /);
    expect(jsonLines((await run('bob', ['contacts', '--json'])).stdout)[0]).toMatchObject({
      username: 'alice',
      nickname: 'Al from ops',
    });
    expect((await run('bob', ['history', 'alice'])).stdout).toMatch(/\] alice \(Al from ops\): again/);
    expect(jsonLines((await run('bob', ['history', 'alice', '--json'])).stdout)[1]).toMatchObject({
      from: 'alice',
      nickname: 'Al from ops',
    });

    expect((await run('bob', ['nick', 'alice', '--clear'])).stdout).toBe('alice has no nickname\n');
    expect((await run('bob', ['history', 'alice'])).stdout).toMatch(/\] alice: again/);
    expect(jsonLines((await run('bob', ['nick', 'alice', '--json'])).stdout)[0]).toEqual({
      username: 'alice',
      nickname: null,
      changed: false,
    });
  });

  // Each bad kind of nickname is refused in packages/cli/src/engine/contacts/nickname.test.ts; here, how the CLI says so.
  it('refuses a nickname with control or invisible characters, or both a name and --clear', async () => {
    const r = await chat(['nick', 'alice', '\u001b[2Jadmin'], { home: home.bob! });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/chat: error: a nickname is 1 to 32 visible characters .*\(USAGE\)/);
    expect(r.stderr).not.toContain('\u001b');
    const both = await chat(['nick', 'alice', 'Al', '--clear'], { home: home.bob! });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give a nickname or --clear, not both');
    expect((await chat(['nick', 'B@d', 'x'], { home: home.bob! })).code).toBe(2);
  });

  it('chat key export carries blocks, nicknames and timers; chat key import restores them', async () => {
    await run('bob', ['nick', 'alice', 'Al']);
    await run('bob', ['block', 'mallory']);
    await run('bob', ['expire', 'alice', '1h']);
    const env = { CHAT_BACKUP_PASSPHRASE: 'backup secret' };
    const exported = await chat(['key', 'export'], { home: home.bob!, env });
    expect(exported.code).toBe(0);
    const restored = join(dir(), 'bob-restored');
    const imported = await chat(['key', 'import', '--no-passphrase', '--json'], {
      home: restored,
      env,
      stdin: exported.stdout,
    });
    expect(imported.code).toBe(0);
    expect(jsonLines(imported.stdout)[0]).toMatchObject({ blocked: 1, nicknames: 1, timers: 1 });
    const contacts = jsonLines((await chat(['contacts', '--json'], { home: restored })).stdout);
    expect(contacts).toContainEqual(expect.objectContaining({ username: 'alice', nickname: 'Al' }));
    expect(contacts).toContainEqual({ username: 'mallory', blocked: true });
    expect((await chat(['expire', 'alice'], { home: restored })).stdout).toBe(
      'disappearing messages with alice: 1 h (set by bob)\n',
    );
  });
});
