/**
 * Everyday messaging (issue 15, PROTOCOL.md §17) through the built `chat` (the relay in the test process): replies,
 * edits, deletes, reactions, `chat history` and `chat search` between two prepared profiles, a group's history; the
 * refusals: bob cannot edit or delete alice's message, and alice's client rejects his forged attempt; block and
 * unblock. One CLI case per behaviour: the engine's rules in a group and for blocked users are tested in
 * packages/cli/src/engine (groups/groups.test.ts, blocking.test.ts), without child processes.
 */
import { describe, expect, it } from 'vitest';
import { rewriteHistory } from '../helpers/profile-db.js';
import { chat, e2eWorld, jsonLines } from './harness.js';

type Json = Record<string, unknown>;

describe('replies, edits, deletes, reactions, history and search', () => {
  const { home, run } = e2eWorld('e2e-everyday', ['alice', 'bob', 'carol']);
  const sendJson = async (user: string, args: string[]) =>
    jsonLines<Json>((await run(user, ['send', '--json', ...args])).stdout)[0]!;
  const recvJson = async (user: string) => jsonLines<Json>((await run(user, ['recv', '--json'])).stdout);
  const historyJson = async (user: string, conv: string, ...more: string[]) =>
    jsonLines<Json>((await run(user, ['history', conv, '--json', ...more])).stdout);

  it('1:1: a reply quotes its target; an edit, a reaction and a delete reach the other side', async () => {
    const first = await sendJson('alice', ['bob', 'lunch at noon?']);
    const id = first.id as string;
    const events = await recvJson('bob');
    expect(events).toEqual([expect.objectContaining({ type: 'message', id, from: 'alice', body: 'lunch at noon?' })]);

    const reply = await sendJson('bob', ['--reply-to', id.slice(0, 8), 'alice', 'yes!']);
    expect(reply.reply_to).toBe(id);
    // Text output: the quoted target above the reply.
    const text = await run('alice', ['recv']);
    expect(text.stdout).toMatch(/^ {2}> alice: lunch at noon\?\n\[[^\]]+\] bob: yes!\n/);

    expect((await run('alice', ['edit', id, 'lunch', 'at', '1?'])).stdout).toBe(`edited: ${id} (bob)\n`);
    expect((await run('alice', ['edit', '--json', id, 'lunch at 1:30?'])).stdout).toContain('"seq":2');
    await run('bob', ['react', id, '👍']);
    await run('bob', ['react', id, '🎉']); // replaces the first
    const bobSees = await recvJson('bob');
    expect(bobSees).toEqual([
      expect.objectContaining({ type: 'receipt', id: reply.id, from: 'alice', state: 'delivered' }),
      expect.objectContaining({ type: 'edit', target: id, from: 'alice', body: 'lunch at 1?', seq: 1, current: true }),
      expect.objectContaining({ type: 'edit', target: id, from: 'alice', body: 'lunch at 1:30?', seq: 2 }),
    ]);
    const aliceSees = await recvJson('alice');
    expect(aliceSees.filter((e) => e.type === 'reaction')).toEqual([
      expect.objectContaining({ target: id, from: 'bob', emoji: '👍' }),
      expect.objectContaining({ target: id, from: 'bob', emoji: '🎉' }),
    ]);

    for (const user of ['alice', 'bob']) {
      const h = await historyJson(user, user === 'alice' ? 'bob' : 'alice');
      expect(h.map((e) => [e.body, e.edited, e.reactions, e.reply_to])).toEqual([
        ['lunch at 1:30?', true, [{ from: 'bob', emoji: '🎉' }], undefined],
        ['yes!', false, [], id],
      ]);
      expect((h[0]!.versions as Json[]).map((v) => v.body)).toEqual([
        'lunch at noon?',
        'lunch at 1?',
        'lunch at 1:30?',
      ]);
    }
    const shown = await run('bob', ['history', 'alice']);
    expect(shown.stdout).toMatch(/alice: lunch at 1:30\? \(edited\) {2}\[[0-9a-f]{8}\]\n {2}reactions: 🎉 bob\n/);
    expect(shown.stdout).toContain('  > alice: lunch at 1:30?\n');

    // Search finds the shown text, not an old version.
    expect(jsonLines<Json>((await run('bob', ['search', '--json', '1:30'])).stdout).map((e) => e.id)).toEqual([id]);
    expect((await run('bob', ['search', '--json', 'noon'])).stdout).toBe('');

    // Remove the reaction, then delete for everyone.
    await run('bob', ['react', id, '']);
    await run('alice', ['delete', id]);
    const gone = await recvJson('bob');
    expect(gone).toContainEqual(expect.objectContaining({ type: 'delete', target: id, from: 'alice' }));
    const [deleted] = await historyJson('bob', 'alice');
    expect(deleted).toMatchObject({ id, deleted: true, body: '', reactions: [] });
    expect((await run('bob', ['history', 'alice'])).stdout).toMatch(/alice: message deleted {2}\[/);
    await recvJson('alice');
    // The reply is still there; deleting it for me only touches my history.
    await run('bob', ['delete', '--for-me', reply.id as string]);
    expect((await historyJson('bob', 'alice')).map((e) => e.id)).toEqual([id]);
    expect((await historyJson('alice', 'bob')).map((e) => e.id)).toEqual([id, reply.id]);
  });

  it("bob cannot edit or delete alice's message; a forged edit is rejected by alice's client (NOT_AUTHOR)", async () => {
    const { id } = await sendJson('alice', ['bob', 'mine']);
    await recvJson('bob');
    const edit = await chat(['edit', id as string, 'hacked'], { home: home.bob! });
    expect(edit.code).toBe(2);
    expect(edit.stderr).toContain(`chat: error: only alice, who sent message ${id}, can edit it (NOT_AUTHOR)`);
    const del = await chat(['delete', id as string], { home: home.bob! });
    expect(del.code).toBe(2);
    expect(del.stderr).toContain('(NOT_AUTHOR)');
    expect(del.stderr).toContain('--for-me');

    // Bob's client refuses; a modified client could still send one. Make bob's history claim the message is his
    // (as a hostile client would), then edit: alice's client checks the author against her own history and refuses.
    rewriteHistory(home.bob!, "UPDATE messages SET direction = 'out' WHERE id = ?", id);
    await run('bob', ['edit', id as string, 'hacked']);
    await run('bob', ['delete', id as string]);
    const r = await chat(['recv', '--json'], { home: home.alice! });
    expect(r.code).toBe(0);
    const rejected = jsonLines<Json>(r.stdout).filter((e) => e.type === 'rejected');
    expect(rejected.map((e) => [e.code, e.detail])).toEqual([
      ['NOT_AUTHOR', 'bob may not edit a message sent by alice'],
      ['NOT_AUTHOR', 'bob may not delete a message sent by alice'],
    ]);
    expect(r.stderr).toMatch(/rejected message [0-9a-f]{32}: NOT_AUTHOR \(bob may not edit a message sent by alice\)/);
    const [mine] = (await historyJson('alice', 'bob')).filter((e) => e.id === id);
    expect(mine).toMatchObject({ body: 'mine', edited: false, deleted: false });
  });

  // The engine's side in a group (every member gets replies, edits, reactions, deletes) is in
  // packages/cli/src/engine/groups/groups.test.ts; here the CLI's: a '#group' conversation, pages and search --in.
  it("a group's history pages (--limit, --before) and search --in '#team'", async () => {
    await run('alice', ['group', 'create', 'team', 'bob', 'carol']);
    for (let i = 0; i < 3; i++) await run('alice', ['send', '#team', `note ${i}`]);
    const page = await historyJson('alice', '#team', '--limit', '2');
    expect(page.map((e) => e.body)).toEqual(['note 1', 'note 2']);
    expect(page[0]).toMatchObject({ conv: '#team', from: 'alice' });
    const before = await historyJson('alice', '#team', '--limit', '1', '--before', page[0]!.id as string);
    expect(before.map((e) => e.body)).toEqual(['note 0']);
    const found = jsonLines<Json>((await run('alice', ['search', '--json', '--in', '#team', 'NOTE'])).stdout);
    expect(found.map((e) => e.body)).toEqual(['note 2', 'note 1', 'note 0']);
    expect(found[0]).toMatchObject({ conv: '#team', from: 'alice' });
  });
});

describe('chat block / chat unblock', () => {
  const { home } = e2eWorld('e2e-block', ['alice', 'mallory']);

  // What blocking does to delivery (nothing stored or shown, no receipt back, nothing back after unblocking) is in
  // packages/cli/src/engine/blocking.test.ts; here the commands' output, contacts, and the refusal's exit code.
  it('chat block and unblock say what they do, chat contacts shows it, and sending to a blocked user exits 2', async () => {
    const as = (u: string) => ({ home: home[u]! });
    expect((await chat(['send', 'alice', 'before'], as('mallory'))).code).toBe(0);
    expect((await chat(['recv'], as('alice'))).stdout).toContain('mallory: before');
    expect((await chat(['block', 'mallory'], as('alice'))).stdout).toBe(
      'blocked mallory: nothing from them is stored or shown, nothing goes back to them\n',
    );
    // Blocking someone never seen works too, and shows in contacts without a key.
    expect(JSON.parse((await chat(['block', 'nobody', '--json'], as('alice'))).stdout)).toEqual({
      username: 'nobody',
      blocked: true,
      changed: true,
      queued: [],
    });
    const listed = jsonLines<Json>((await chat(['contacts', '--json'], as('alice'))).stdout);
    expect(listed).toEqual([
      expect.objectContaining({ username: 'mallory', blocked: true }),
      { username: 'nobody', blocked: true },
    ]);
    expect((await chat(['contacts'], as('alice'))).stdout).toMatch(/^mallory .* first seen .* {2}blocked$/m);
    // Sending to a blocked user is refused.
    const out = await chat(['send', 'mallory', 'hi'], as('alice'));
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('(BLOCKED)');
    expect(out.stderr).toContain('chat: hint: chat unblock mallory first');
    expect((await chat(['unblock', 'mallory'], as('alice'))).stdout).toBe('unblocked mallory\n');
    expect((await chat(['send', 'mallory', 'hi'], as('alice'))).code).toBe(0);
  });
});
