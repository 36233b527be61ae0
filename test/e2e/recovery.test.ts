/**
 * Recovery of a lost v2 session (issue 13 point 6, PROTOCOL.md §24.7) through the built binaries and a real backup:
 * bob restores his profile with `chat key export` / `chat key import` (a backup carries no ratchet state or prekeys,
 * §13.2), alice goes on writing in her old session, and what she wrote reaches the restored profile once, with a
 * notice on each side; then the conversation goes on both ways.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openProfileDb } from '../helpers/profile-db.js';
import { chat, e2eWorld, jsonLines } from './harness.js';

describe('a restored profile recovers what was sent to its lost session', () => {
  const { home, run, dir } = e2eWorld('e2e-recovery', ['alice', 'bob']);

  it('asks, gets it resent once, and both sides say so', async () => {
    await run('alice', ['send', 'bob', 'hello bob']);
    expect((await run('bob', ['recv'])).stdout).toContain('hello bob');
    await run('bob', ['send', 'alice', 'hi alice']);
    await run('alice', ['recv']);
    await run('bob', ['recv']); // alice's delivery receipt

    const env = { CHAT_BACKUP_PASSPHRASE: 'backup secret' };
    const exported = await chat(['key', 'export'], { home: home.bob!, env });
    expect(exported.code).toBe(0);
    const restored = join(dir(), 'bob-restored');
    const imported = await chat(['key', 'import', '--no-passphrase'], { home: restored, env, stdin: exported.stdout });
    expect(imported.code).toBe(0);
    // The backup brought contacts back, but no session, prekey or replay key: restoring those would reuse keys.
    const db = openProfileDb(restored, { readonly: true });
    try {
      const count = (table: string): unknown => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
      expect(['v2_sessions', 'v2_prekeys', 'v2_replay'].map(count)).toEqual([0, 0, 0]);
    } finally {
      db.close();
    }

    await run('alice', ['send', 'bob', 'while you were away']);
    const asked = await chat(['recv'], { home: restored });
    expect(asked.code).toBe(0);
    expect(asked.stdout).not.toContain('while you were away');
    expect(asked.stderr).toMatch(/chat: warning: rejected message [0-9a-f]{32}: NO_SESSION/);
    expect(asked.stderr).toContain(
      'chat: notice: could not decrypt 1 message from alice (the session was lost); asked alice to send them again',
    );

    const resent = await run('alice', ['recv', '--json']);
    expect(resent.stderr).toContain(
      'chat: notice: bob could not decrypt 1 of your messages (a lost session); sent them again',
    );
    expect(jsonLines(resent.stdout)).toContainEqual(
      expect.objectContaining({ type: 'recovery', action: 'resent', peer: 'bob' }),
    );

    const got = await chat(['recv'], { home: restored });
    expect(got.code).toBe(0);
    expect(got.stdout.split('while you were away')).toHaveLength(2); // exactly once
    expect(got.stderr).not.toContain('rejected');

    expect((await chat(['send', 'alice', 'back from a backup'], { home: restored })).code).toBe(0);
    expect((await run('alice', ['recv'])).stdout).toContain('back from a backup');
    await run('alice', ['send', 'bob', 'welcome back']);
    const last = await chat(['recv'], { home: restored });
    expect(last.stdout).toContain('welcome back');
    expect(last.stdout).not.toContain('while you were away');
  });
});
