/**
 * Disappearing messages (issue 15, PROTOCOL.md §17.5) through the built `chat` (the relay in the test process): a timer
 * set by one side is applied by the other; a message (and a received file) then disappears from the history and the
 * database on both machines — at the next start for a client that was not running, at once for `chat recv --follow`. No
 * sleeps: the tests wait for the rows' own `expires_at` to pass, or for the follower's `expired` event.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openProfileDb } from '../helpers/profile-db.js';
import { describe, expect, it } from 'vitest';
import { chat, e2eWorld, jsonLines, startChat } from './harness.js';
import { until } from '../fixtures/wait.js';

type Json = Record<string, unknown>;

describe('chat expire: disappearing messages', () => {
  const { home, run, dir } = e2eWorld('e2e-expire', ['alice', 'bob', 'carol']);
  /** One row of `user`'s database, read directly (not through chat, which would sweep on opening). */
  const row = (user: string, sql: string, ...v: unknown[]) => {
    const db = openProfileDb(home[user]!, { readonly: true });
    try {
      return db.prepare(sql).get(...v) as Json | undefined;
    } finally {
      db.close();
    }
  };
  const expiresAt = (user: string, table: string, id: string) =>
    row(user, `SELECT expires_at AS e FROM ${table} WHERE id = ?`, id)?.e as number;

  it('1:1: both sides apply the timer; a message is gone from history and database on both after it expires', async () => {
    await run('alice', ['send', 'bob', 'before the timer']);
    expect(jsonLines((await run('alice', ['expire', 'bob', '1s', '--json'])).stdout)[0]).toEqual({
      conv: 'bob',
      seconds: 1,
    });
    const events = jsonLines<Json>((await run('bob', ['recv', '--json'])).stdout);
    expect(events).toEqual([
      expect.objectContaining({ type: 'message', body: 'before the timer' }),
      expect.objectContaining({ type: 'expire', from: 'alice', conv: 'alice', seconds: 1, applied: true }),
    ]);
    expect((await run('bob', ['expire', 'alice'])).stdout).toBe(
      'disappearing messages with alice: 1 s (set by alice)\n',
    );

    const sent = jsonLines<Json>((await run('alice', ['send', '--json', 'bob', 'self-destructs'])).stdout)[0]!;
    const id = sent.id as string;
    await run('bob', ['recv']);
    const [a, b] = [expiresAt('alice', 'messages', id), expiresAt('bob', 'messages', id)];
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    // Neither client runs now: wait until both rows are due, then any start removes them.
    await until(() => Date.now() > Math.max(a, b), 'the timer ran out');
    expect(row('bob', 'SELECT 1 AS x FROM messages WHERE id = ?', id)).toEqual({ x: 1 }); // still there: nobody ran
    const history = jsonLines<Json>((await run('bob', ['history', 'alice', '--json'])).stdout);
    expect(history.map((e) => e.body)).toEqual(['before the timer']);
    expect(row('bob', 'SELECT 1 AS x FROM messages WHERE id = ?', id)).toBeUndefined();
    expect((await run('alice', ['search', 'self-destructs'])).stdout).toBe('');
    expect(row('alice', 'SELECT 1 AS x FROM messages WHERE id = ?', id)).toBeUndefined();

    // A follower deletes at once and says so (JSON); then the timer goes off, and new messages stay.
    const follower = startChat(['recv', '--follow', '--json'], { home: home.bob! });
    try {
      const next = jsonLines<Json>((await run('alice', ['send', '--json', 'bob', 'gone soon'])).stdout)[0]!;
      await follower.waitFor(new RegExp(`"type":"expired","ids":\\["${next.id as string}"\\]`));
      expect(row('bob', 'SELECT 1 AS x FROM messages WHERE id = ?', next.id)).toBeUndefined();
      await run('bob', ['expire', 'alice', 'off']);
    } finally {
      follower.proc.kill('SIGTERM');
      await follower.exit;
    }
    await run('alice', ['recv']);
    const kept = jsonLines<Json>((await run('alice', ['send', '--json', 'bob', 'kept'])).stdout)[0]!;
    expect(expiresAt('alice', 'messages', kept.id as string)).toBeNull();
  });

  it('a received file disappears with its offer, the saved copy included', async () => {
    // An hour, so that a slow machine cannot expire the offer before bob accepts it; the test then moves the expiry
    // to now in bob's database (the clock the sweep reads is the only thing it stands in for).
    await run('carol', ['expire', 'bob', '1h']);
    await run('bob', ['recv']);
    const src = join(dir(), 'note.txt');
    writeFileSync(src, 'for your eyes only');
    const offer = jsonLines<Json>((await run('carol', ['send-file', 'bob', src, '--json'])).stdout).at(-1)!;
    await run('bob', ['recv']);
    const dl = join(dir(), 'dl');
    mkdirSync(dl);
    await run('bob', ['files', 'accept', (offer.id as string).slice(0, 8), '--dir', dl]);
    expect(existsSync(join(dl, 'note.txt'))).toBe(true);
    const due = row('bob', 'SELECT expires_at AS e FROM files WHERE blob = ?', offer.id)?.e as number;
    expect(due).toBeGreaterThan(Date.now() + 3_000_000); // stamped on commit: about an hour from then
    const db = openProfileDb(home.bob!);
    db.prepare('UPDATE files SET expires_at = ? WHERE blob = ?').run(Date.now(), offer.id);
    db.close();
    expect(jsonLines((await run('bob', ['files', '--json'])).stdout)).toEqual([]);
    expect(existsSync(join(dl, 'note.txt'))).toBe(false);
  });

  it('in a group only an admin sets the timer (exit 2 for a member); the setting is an event and a line of the history', async () => {
    await run('alice', ['group', 'create', 'crew', 'bob', 'carol']);
    for (const u of ['bob', 'carol']) {
      await run(u, ['recv']);
      await run(u, ['group', 'accept', 'crew']);
    }
    const refused = await chat(['expire', '#crew', '1h'], { home: home.bob! });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/only an admin of #crew can set its timer \(NOT_GROUP_ADMIN\)/);
    await run('alice', ['expire', '#crew', '1h']);
    const ev = jsonLines<Json>((await run('bob', ['recv', '--json'])).stdout);
    expect(ev).toContainEqual(expect.objectContaining({ type: 'expire', from: 'alice', conv: '#crew', seconds: 3600 }));
    expect((await run('bob', ['history', '#crew'])).stdout).toContain('alice set disappearing messages to 1 h');
    // That a member's copy then expires is the engine's rule, tested without child processes in
    // packages/cli/src/engine/groups/groups.test.ts ("disappearing messages in a group").
  });
});
