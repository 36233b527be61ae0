/**
 * `chat key export` / `chat key import` with the built binaries (PROTOCOL.md §13.2, issue 15): groups and joined rooms
 * come back with the contacts, blocks, nicknames and timers, and each refusal's hint names the right next step.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chat, e2eWorld } from './harness.js';

describe('a backup carries groups and rooms', () => {
  const { home, run, dir } = e2eWorld('e2e-backup-groups', ['alice', 'bob']);

  it('restores groups, joined rooms and the rest; the hints say what to do next', async () => {
    await run('bob', ['send', 'alice', 'hi']); // alice is bob's contact: her group needs no consent (§15.7)
    await run('alice', ['group', 'create', 'team', 'bob']);
    await run('alice', ['group', 'rename', 'team', 'crew']);
    await run('alice', ['join', 'general']);
    await run('alice', ['nick', 'bob', 'Bobby']);
    const env = { CHAT_BACKUP_PASSPHRASE: 'backup secret' };
    const exported = await chat(['key', 'export'], { home: home.alice!, env });
    expect(exported.code).toBe(0);

    // Into the profile that already has keys: the hint says where to restore instead (no KDF run).
    const exists = await chat(['key', 'import', '--no-passphrase'], { home: home.alice!, env, stdin: exported.stdout });
    expect(exists.code).not.toBe(0);
    expect(exists.stderr).toContain('(IDENTITY_EXISTS)');
    expect(exists.stderr).toContain('chat: hint: restore into an empty profile');
    expect(exists.stderr).not.toContain('keygen');

    const restored = join(dir(), 'alice-restored');
    const wrong = await chat(['key', 'import', '--no-passphrase'], {
      home: restored,
      env: { CHAT_BACKUP_PASSPHRASE: 'not it' },
      stdin: exported.stdout,
    });
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toContain('CHAT_BACKUP_PASSPHRASE');

    const imported = await chat(['key', 'import', '--no-passphrase'], { home: restored, env, stdin: exported.stdout });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(
      /^restored alice \(.*\) and 1 contact\(s\) \(with 1 group\(s\), 1 room\(s\), 1 nickname\(s\)\) into /,
    );
    expect(imported.stderr).toContain(
      'chat: hint: chat recv fetches what waits on the relay (message history is not part of a backup)',
    );
    const groups = await chat(['groups'], { home: restored });
    expect(groups.stdout).toContain('#crew');
    expect(groups.stdout).not.toContain('#team');
    // The restored profile speaks in the group and the room at once.
    expect((await chat(['send', '#crew', 'back from a backup'], { home: restored })).code).toBe(0);
    expect((await chat(['send', '#general', 'hello room'], { home: restored })).code).toBe(0);
    const bob = await run('bob', ['recv']);
    expect(bob.stdout).toContain('#crew alice: back from a backup');
  });
});
