/**
 * PROTOCOL.md §17.6: an edit, delete or reaction that arrives before its target is kept and applied when the target
 * comes, bounded and expiring. The relay in process, the envelopes sealed by the real send path (test/seal-as.ts) and
 * sent out of order: the action first, its target after.
 */
import { MessageKind, encodeMessageAction, fromHex, groupMessageRef, randomMessageId, toHex } from '@chat/crypto';

const toUtf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { type Crafted, sealAs } from '../../../test/seal-as.js';
import { createGroup } from '../groups/groups.js';
import type { ActionEvent, GroupMessage, ReceivedMessage } from '../events.js';
import type { Messenger } from '../messenger.js';
import { HOLD_KEEP_MS, MAX_HELD_ACTIONS_PER_SENDER } from '../store/held.js';
import { history } from './history.js';
import { awaitResend } from '../v2/recovery.js';
import { deleteMessage } from './send.js';

const world = engineWorld('held-actions');

/** Sends each crafted envelope from `from` to `to`, in this order, on one connection. */
async function sendAll(from: Messenger, to: string, list: Crafted[]): Promise<void> {
  await from.withConnectionFor(async (conn) => {
    for (const c of list) {
      const { id, env } = await sealAs(from, conn, to, c);
      await conn.send(to, id, env);
    }
  });
}

/** One receive: what was shown (1:1 and group texts), the actions announced, the rejection codes. */
async function recv(m: Messenger): Promise<{ shown: string[]; actions: string[]; rejected: string[] }> {
  const shown: string[] = [];
  const actions: string[] = [];
  const rejected: string[] = [];
  const onMessage = (x: ReceivedMessage): void => void shown.push(x.body);
  const onGroup = (x: GroupMessage): void => void (x.kind === 'group' && shown.push(x.body));
  const onAction = (x: ActionEvent): void => void actions.push(`${x.type}:${x.body ?? x.emoji ?? ''}`);
  const onRejected = (r: { code: string }): void => void rejected.push(r.code);
  m.on('message', onMessage);
  m.on('groupMessage', onGroup);
  m.on('action', onAction);
  m.on('rejected', onRejected);
  try {
    await m.receive();
    return { shown, actions, rejected };
  } finally {
    m.off('message', onMessage);
    m.off('groupMessage', onGroup);
    m.off('action', onAction);
    m.off('rejected', onRejected);
  }
}

const text = (id: Uint8Array, body: string): Crafted => ({ kind: MessageKind.text, id, body: toUtf8(body) });
const edit = (target: Uint8Array, seq: number, t: string): Crafted => ({
  kind: MessageKind.edit,
  body: encodeMessageAction(MessageKind.edit, { op: 'edit', target, seq, text: t }),
});
const react = (target: Uint8Array, emoji: string): Crafted => ({
  kind: MessageKind.reaction,
  body: encodeMessageAction(MessageKind.reaction, { op: 'reaction', target, emoji }),
});
const del = (target: Uint8Array): Crafted => ({
  kind: MessageKind.delete,
  body: encodeMessageAction(MessageKind.delete, { op: 'delete', target }),
});

async function pair(): Promise<{ a: string; b: string; alice: Messenger; bob: Messenger }> {
  const { a, b } = await world.pair();
  const [alice, bob] = await Promise.all([world.open(a), world.open(b)]);
  await alice.sendMessage(b, 'hello'); // a v2 session, and each other pinned
  await recv(bob);
  await bob.sendMessage(a, 'hello'); // a contact of bob's: alice's groups need no consent (§15.7)
  await recv(alice);
  return { a, b, alice, bob };
}

describe('actions that arrive before their target (§17.6)', () => {
  it('an edit and a reaction that came first apply when the message comes, in arrival order', async () => {
    const { a, b, alice, bob } = await pair();
    const target = randomMessageId();
    await sendAll(alice, b, [edit(target, 2, 'second'), edit(target, 1, 'first'), react(target, '👍')]);
    // Without §17.6 these were TARGET_UNKNOWN, acknowledged and lost.
    expect(await recv(bob)).toEqual({ shown: [], actions: [], rejected: [] });
    expect(bob.store.held.counts().actions).toBe(3);
    await sendAll(alice, b, [text(target, 'original')]);
    expect(await recv(bob)).toEqual({
      shown: ['original'],
      actions: ['edit:second', 'edit:first', 'reaction:👍'],
      rejected: [],
    });
    expect(bob.store.held.counts().actions).toBe(0);
    const e = history(bob, a).entries.at(-1);
    expect(e).toMatchObject({ id: toHex(target), body: 'second', edited: true, reactions: [{ from: a, emoji: '👍' }] });
    expect(e!.versions!.map((v) => v.body)).toEqual(['original', 'first', 'second']);
  });

  it('a delete that came first deletes: the message is never shown', async () => {
    const { a, b, alice, bob } = await pair();
    const target = randomMessageId();
    await sendAll(alice, b, [react(target, '🎉'), del(target)]);
    expect(await recv(bob)).toEqual({ shown: [], actions: [], rejected: [] });
    await sendAll(alice, b, [text(target, 'regret')]);
    expect(await recv(bob)).toEqual({ shown: [], actions: [], rejected: [] });
    expect(history(bob, a).entries.at(-1)).toMatchObject({ id: toHex(target), body: '', deleted: true, reactions: [] });
  });

  it('a kept action refused by §17.3 when its target comes is rejected then (a delete came first)', async () => {
    const { b, alice, bob } = await pair();
    const target = randomMessageId();
    await sendAll(alice, b, [del(target), edit(target, 1, 'after the delete')]);
    expect(await recv(bob)).toEqual({ shown: [], actions: [], rejected: [] });
    await sendAll(alice, b, [text(target, 'gone')]);
    expect(await recv(bob)).toEqual({ shown: [], actions: [], rejected: ['TARGET_DELETED'] });
  });

  it('bounded per sender: past the bound an action is TARGET_UNKNOWN as before', async () => {
    const { b, alice, bob } = await pair();
    const list = Array.from({ length: MAX_HELD_ACTIONS_PER_SENDER + 1 }, () => react(randomMessageId(), '👀'));
    await sendAll(alice, b, list);
    expect((await recv(bob)).rejected).toEqual(['TARGET_UNKNOWN']);
    expect(bob.store.held.counts().actions).toBe(MAX_HELD_ACTIONS_PER_SENDER);
  });

  it('expires with the mailbox, or sooner with the conversation timer, as TARGET_UNKNOWN', async () => {
    const { a, b, alice, bob } = await pair();
    const late = randomMessageId();
    await sendAll(alice, b, [edit(late, 1, 'too late')]);
    await recv(bob);
    bob.store.timers.sweep(Date.now() + HOLD_KEEP_MS + 1000);
    expect(bob.store.held.counts().actions).toBe(0);
    expect(bob.store.rejected.list().map((r) => r.reason)).toEqual(['TARGET_UNKNOWN']);
    await sendAll(alice, b, [text(late, 'as sent')]);
    expect(await recv(bob)).toEqual({ shown: ['as sent'], actions: [], rejected: [] });

    // A one-minute timer on the conversation: the kept edit's text goes after a minute, not a month.
    bob.store.timers.set({ conv: a, seconds: 60, setBy: a, setTs: 1, setAt: Date.now() });
    await sendAll(alice, b, [edit(randomMessageId(), 1, 'secret')]);
    await recv(bob);
    bob.store.timers.sweep(Date.now() + 30_000);
    expect(bob.store.held.counts().actions).toBe(1);
    bob.store.timers.sweep(Date.now() + 61_000);
    expect(bob.store.held.counts().actions).toBe(0);
  });

  it('a target that will not come (expired, deleted for me) refuses at once; blocking drops what is kept', async () => {
    const { b, alice, bob } = await pair();
    const gone = randomMessageId();
    await sendAll(alice, b, [text(gone, 'short-lived')]);
    await recv(bob);
    await deleteMessage(bob, toHex(gone), true); // deleted for me: its id is seen, it will not come again
    await sendAll(alice, b, [react(gone, '👍')]);
    expect((await recv(bob)).rejected).toEqual(['TARGET_UNKNOWN']);

    const later = randomMessageId();
    await sendAll(alice, b, [react(later, '👍')]);
    await recv(bob);
    expect(bob.store.held.counts().actions).toBe(1);
    bob.store.blocked.block(alice.username, Date.now());
    expect(bob.store.held.counts().actions).toBe(0);
  });

  it('a target that failed for want of a session and awaits its resend (§24.7) is waited for', async () => {
    const { b, alice, bob } = await pair();
    const target = randomMessageId();
    // As bob's receiver records an envelope it could not decrypt for want of a session (v2/recovery.ts).
    bob.store.transaction(() => {
      bob.store.rejected.add({ id: toHex(target), reason: 'NO_SESSION', relayTs: 1, rejectedAt: Date.now() });
      awaitResend(bob.store, toHex(target), alice.username, Date.now());
    });
    await sendAll(alice, b, [react(target, '🙏')]);
    expect(await recv(bob)).toEqual({ shown: [], actions: [], rejected: [] });
    await sendAll(alice, b, [text(target, 'resent')]); // the resend, under its original id
    expect(await recv(bob)).toEqual({ shown: ['resent'], actions: ['reaction:🙏'], rejected: [] });
  });

  it('in a group: an action names its target by reference and waits for it', async () => {
    const { b, alice, bob } = await pair();
    const { group } = await createGroup(alice, 'early', [b]);
    await recv(bob);
    const gid = fromHex(group.gid);
    const ts = Date.now();
    const body = Uint8Array.of(...gid, ...toUtf8('group hello'));
    const ref = groupMessageRef(MessageKind.groupText, alice.username, ts, body);
    const gedit = encodeMessageAction(MessageKind.groupEdit, { op: 'edit', gid, target: ref, seq: 1, text: 'edited' });
    await sendAll(alice, b, [{ kind: MessageKind.groupEdit, body: gedit }]);
    expect(await recv(bob)).toEqual({ shown: [], actions: [], rejected: [] });
    await sendAll(alice, b, [{ kind: MessageKind.groupText, body, ts }]);
    expect(await recv(bob)).toEqual({ shown: ['group hello'], actions: ['edit:edited'], rejected: [] });
    expect(history(bob, '#early').entries.at(-1)).toMatchObject({ body: 'edited', edited: true });
  });

  it('in a group: a reply that came before its target shows the quote once the target is in', async () => {
    const { b, alice, bob } = await pair();
    const { group } = await createGroup(alice, 'quoted', [b]);
    await recv(bob);
    const gid = fromHex(group.gid);
    const ts = Date.now();
    const body = Uint8Array.of(...gid, ...toUtf8('the question'));
    const ref = groupMessageRef(MessageKind.groupText, alice.username, ts, body);
    const reply = encodeMessageAction(MessageKind.groupReply, { op: 'reply', gid, target: ref, text: 'the answer' });
    await sendAll(alice, b, [{ kind: MessageKind.groupReply, body: reply, ts: ts + 1 }]);
    await recv(bob);
    const early = history(bob, '#quoted').entries.find((e) => e.body === 'the answer');
    expect(early).toMatchObject({ replyTo: toHex(ref) });
    expect(early?.quote).toBeUndefined(); // nothing to quote yet
    await sendAll(alice, b, [{ kind: MessageKind.groupText, body, ts }]);
    await recv(bob);
    const entries = history(bob, '#quoted').entries;
    const question = entries.find((e) => e.body === 'the question');
    expect(entries.find((e) => e.body === 'the answer')).toMatchObject({
      replyTo: question?.id,
      quote: { from: alice.username, body: 'the question', deleted: false },
    });
  });
});
