/**
 * Everyday messaging (issue 15, PROTOCOL.md §17) through the built `chat` and `chat-relay` binaries: replies, edits,
 * deletes, reactions, `chat history` and `chat search`, between two prepared profiles and in a group; and the
 * refusals: bob cannot edit or delete alice's message, and alice's client rejects his forged attempt.
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

  it('in a group: reply, edit, react and delete reach every member; history pages and search work', async () => {
    // carol has written to alice, so alice's group needs no consent (§15.7).
    for (const u of ['bob', 'carol']) await run(u, ['send', 'alice', 'hi']);
    await run('alice', ['group', 'create', 'team', 'bob', 'carol']);
    await run('alice', ['send', '#team', 'standup at 10']);
    const [, msg] = (await recvJson('bob')).filter((e) => e.kind === 'group' || e.kind === 'event');
    expect(msg).toMatchObject({ type: 'message', kind: 'group', from: 'alice', body: 'standup at 10' });
    const bobId = msg!.id as string;
    await run('bob', ['send', '--reply-to', bobId, '#team', 'ok']);
    await run('bob', ['react', bobId, '👍']);
    await run('alice', ['recv']);
    const [aliceMsg] = (await historyJson('alice', '#team')).filter((e) => e.body === 'standup at 10');
    const aliceId = aliceMsg!.id as string;
    expect(aliceMsg!.reactions).toEqual([{ from: 'bob', emoji: '👍' }]);
    await run('alice', ['edit', aliceId, 'standup at 11']);

    const carol = await recvJson('carol');
    const carolMsg = carol.find((e) => e.type === 'message' && e.from === 'alice' && e.conv === '#team')!;
    // Every copy of a group message has its own envelope id (fan-out): the reference of §17.2 ties them together.
    expect(carolMsg.id).not.toBe(bobId);
    expect(carol).toContainEqual(
      expect.objectContaining({ type: 'message', from: 'bob', body: 'ok', reply_to: carolMsg.id }),
    );
    expect(carol).toContainEqual(
      expect.objectContaining({ type: 'reaction', from: 'bob', emoji: '👍', conv: '#team', target: carolMsg.id }),
    );
    expect(carol).toContainEqual(
      expect.objectContaining({ type: 'edit', from: 'alice', body: 'standup at 11', target: carolMsg.id }),
    );

    // bob, not the author, cannot edit it.
    const refused = await chat(['edit', bobId, 'no'], { home: home.bob! });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('(NOT_AUTHOR)');

    await run('alice', ['delete', aliceId]);
    const bobLater = await recvJson('bob');
    expect(bobLater).toContainEqual(expect.objectContaining({ type: 'edit', target: bobId, body: 'standup at 11' }));
    expect(bobLater).toContainEqual(expect.objectContaining({ type: 'delete', target: bobId, conv: '#team' }));
    const bobHistory = await historyJson('bob', '#team');
    expect(bobHistory.find((e) => e.id === bobId)).toMatchObject({ deleted: true, body: '' });
    expect(bobHistory.find((e) => e.body === 'ok')).toMatchObject({ reply_to: bobId, from: 'bob' });

    // Pages: the newest 2, then the page before the oldest of them.
    for (let i = 0; i < 3; i++) await run('alice', ['send', '#team', `note ${i}`]);
    const page = await historyJson('alice', '#team', '--limit', '2');
    expect(page.map((e) => e.body)).toEqual(['note 1', 'note 2']);
    const before = await historyJson('alice', '#team', '--limit', '2', '--before', page[0]!.id as string);
    expect(before.map((e) => e.body)).toEqual(['ok', 'note 0']);
    const found = jsonLines<Json>((await run('alice', ['search', '--json', '--in', '#team', 'NOTE'])).stdout);
    expect(found.map((e) => e.body)).toEqual(['note 2', 'note 1', 'note 0']);
    expect(found[0]).toMatchObject({ conv: '#team', from: 'alice' });
  });
});

describe('chat block / chat unblock', () => {
  const { home } = e2eWorld('e2e-block', ['alice', 'mallory']);

  it('nothing from a blocked user is stored or shown, no receipt goes back, and chat contacts shows it', async () => {
    const as = (u: string) => ({ home: home[u]! });
    expect((await chat(['send', 'alice', 'before'], as('mallory'))).code).toBe(0);
    expect((await chat(['recv'], as('alice'))).stdout).toContain('mallory: before');
    expect((await chat(['block', 'mallory'], as('alice'))).stdout).toBe(
      'blocked mallory: nothing from them is stored or shown, nothing goes back to them\n',
    );
    // Blocking someone never seen works too, and shows in contacts without a key.
    expect((await chat(['block', 'nobody'], as('alice'))).code).toBe(0);
    const listed = jsonLines<Json>((await chat(['contacts', '--json'], as('alice'))).stdout);
    expect(listed).toEqual([
      expect.objectContaining({ username: 'mallory', blocked: true }),
      { username: 'nobody', blocked: true },
    ]);
    expect((await chat(['contacts'], as('alice'))).stdout).toMatch(/^mallory .* first seen .* {2}blocked$/m);

    const { id } = jsonLines<Json>(
      (await chat(['send', '--json', 'alice', 'while blocked'], as('mallory'))).stdout,
    )[0]!;
    const r = await chat(['recv', '--json'], as('alice'));
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await chat(['search', 'while'], as('alice'))).stdout).toBe('');
    // No delivered receipt went back: mallory's message stays "sent".
    await chat(['recv'], as('mallory'));
    const [sent] = jsonLines<Json>((await chat(['history', '--json', 'alice'], as('mallory'))).stdout).filter(
      (e) => e.id === id,
    );
    expect(sent).toMatchObject({ state: 'sent' });
    // Sending to a blocked user is refused.
    const out = await chat(['send', 'mallory', 'hi'], as('alice'));
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('(BLOCKED)');
    expect(out.stderr).toContain('chat: hint: chat unblock mallory first');

    expect((await chat(['unblock', 'mallory'], as('alice'))).stdout).toBe('unblocked mallory\n');
    expect((await chat(['send', 'alice', 'after'], as('mallory'))).code).toBe(0);
    const after = await chat(['recv'], as('alice'));
    expect(after.stdout).toContain('mallory: after');
    expect(after.stdout).not.toContain('while blocked');
  });
});
