/**
 * PROTOCOL.md §25.10: a group message that arrives before its sender's key distribution is kept, still encrypted, and
 * opened when the distribution comes; with §25.9's request in between it is shown once. The relay in process; the
 * sender's chain made and its envelopes sealed with the real codecs (the product always sends the distribution first,
 * so the test sends it after).
 */
import { join } from 'node:path';
import {
  MessageKind,
  GROUP_EPOCH_MAX_AGE_MS,
  SENDER_KEY_KIND,
  type SenderKey,
  distributionOf,
  encodeMessageAction,
  encodeSenderKeyDistribution,
  fromHex,
  groupMessageRef,
  newSenderKey,
  toHex,
} from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { craftGroupMessage, groupBody, receiveGroup, relayMailbox } from '../../../test/group-receive.js';
import { sealAs } from '../../../test/seal-as.js';
import type { ActionEvent } from '../events.js';
import type { Messenger } from '../messenger.js';
import { MAX_HELD_GROUP_PER_SENDER } from '../store/held.js';
import { createGroup, sendGroupText } from './groups.js';
import { setTimer } from '../expire/timers.js';

const world = engineWorld('held-group');

/** One receive: the group texts shown, the rejection codes, the edits announced. */
async function recv(m: Messenger): Promise<{ texts: string[]; rejected: string[]; edits: string[] }> {
  const edits: string[] = [];
  const onAction = (e: ActionEvent): void => void edits.push(e.body ?? '');
  m.on('action', onAction);
  try {
    const { texts, rejected } = await receiveGroup(m);
    return { texts, rejected, edits };
  } finally {
    m.off('action', onAction);
  }
}

/** Alice and bob in a group of alice's, with a v2 session each way; `gid` the group's id. */
async function team(): Promise<{ alice: Messenger; bob: Messenger; a: string; b: string; gid: Uint8Array }> {
  const { a, b } = await world.pair();
  const [alice, bob] = await Promise.all([world.open(a), world.open(b)]);
  await bob.sendMessage(a, 'hi'); // alice is bob's contact: her group needs no consent (§15.7)
  await recv(alice);
  const { group } = await createGroup(alice, 'late', [b]);
  await recv(bob);
  return { alice, bob, a, b, gid: fromHex(group.gid) };
}

/** Alice's group message in `key`'s chain, sealed to bob and delivered; returns the chain's next state. */
const groupSend = (alice: Messenger, bob: Messenger, key: SenderKey, kind: number, body: Uint8Array, ts = Date.now()) =>
  craftGroupMessage(alice, bob, key, alice.username, body.subarray(0, 16), body, kind, ts);

/** Alice gives bob the chain `key` (at its current iteration) in their 1:1 v2 session. */
async function distribute(alice: Messenger, bob: Messenger, gid: Uint8Array, key: SenderKey): Promise<void> {
  await alice.withConnectionFor(async (conn) => {
    const body = encodeSenderKeyDistribution(distributionOf(gid, key));
    const { id, env } = await sealAs(alice, conn, bob.username, { kind: SENDER_KEY_KIND, body });
    await conn.send(bob.username, id, env);
  });
}

describe('group messages that arrive before their sender key (§25.10)', () => {
  it('are kept and opened, in order, with their kept edit, when the distribution comes after them', async () => {
    const { alice, bob, a, gid } = await team();
    const start = newSenderKey();
    let key = start;
    const ts = Date.now();
    const first = groupBody(gid, 'one');
    key = await groupSend(alice, bob, key, MessageKind.groupText, first, ts);
    key = await groupSend(alice, bob, key, MessageKind.groupText, groupBody(gid, 'two'));
    const target = groupMessageRef(MessageKind.groupText, a, ts, first);
    const edit = encodeMessageAction(MessageKind.groupEdit, { op: 'edit', gid, target, seq: 1, text: 'one, edited' });
    await groupSend(alice, bob, key, MessageKind.groupEdit, edit);
    // Before §25.10: three GROUP_EPOCH_UNKNOWN, acknowledged and lost.
    expect(await recv(bob)).toEqual({ texts: [], rejected: [], edits: [] });
    expect(bob.store.held.counts().groupMessages).toBe(3);
    // §25.9: bob asked alice for the key, once (one request open per sender and group).
    expect(relayMailbox(join(world.dir(), 'relay'), world.dir(), a)).toHaveLength(1);

    await distribute(alice, bob, gid, start);
    expect(await recv(bob)).toEqual({ texts: ['one', 'two'], rejected: [], edits: ['one, edited'] });
    expect(bob.store.held.counts().groupMessages).toBe(0);
    // The answer to bob's request, a second distribution of the same chain, changes nothing: shown once.
    await distribute(alice, bob, gid, start);
    expect(await recv(bob)).toEqual({ texts: [], rejected: [], edits: [] });
  });

  it('a kept message from before the chain a distribution starts at (an older sender) is rejected as before', async () => {
    const { alice, bob, gid } = await team();
    let key = newSenderKey();
    key = await groupSend(alice, bob, key, MessageKind.groupText, groupBody(gid, 'lost'));
    expect(await recv(bob)).toEqual({ texts: [], rejected: [], edits: [] });
    // As a sender from before §25.3's rule answers a request: the chain from its next message on.
    await distribute(alice, bob, gid, key);
    await groupSend(alice, bob, key, MessageKind.groupText, groupBody(gid, 'after'));
    expect(await recv(bob)).toEqual({ texts: ['after'], rejected: ['GROUP_EPOCH_UNKNOWN'], edits: [] });
  });

  it('a forger fills only its claimed sender’s share; the real distribution opens the real ones', async () => {
    const { alice, bob, gid } = await team();
    const real = newSenderKey();
    await groupSend(alice, bob, real, MessageKind.groupText, groupBody(gid, 'real'));
    // Anyone who knows the gid can seal a message claiming alice in her epoch, signed with a key of its own.
    let forged: SenderKey = { ...newSenderKey(), epoch: real.epoch, iteration: 1 };
    for (let k = 0; k < MAX_HELD_GROUP_PER_SENDER; k++)
      forged = await groupSend(alice, bob, forged, MessageKind.groupText, groupBody(gid, 'forged'));
    const r = await recv(bob);
    expect(r.rejected).toEqual(['GROUP_EPOCH_UNKNOWN']); // the share is full: the last is refused as before
    expect(bob.store.held.counts().groupMessages).toBe(MAX_HELD_GROUP_PER_SENDER);
    await distribute(alice, bob, gid, real);
    const opened = await recv(bob);
    expect(opened.texts).toEqual(['real']);
    expect(opened.rejected).toEqual(Array(MAX_HELD_GROUP_PER_SENDER - 1).fill('GROUP_BAD_SIGNATURE'));
  });

  it('nothing is kept from a blocked sender; blocking erases what was kept', async () => {
    const { alice, bob, a, gid } = await team();
    await groupSend(alice, bob, newSenderKey(), MessageKind.groupText, groupBody(gid, 'before the block'));
    await recv(bob);
    expect(bob.store.held.counts().groupMessages).toBe(1);
    bob.store.blocked.block(a, Date.now());
    expect(bob.store.held.counts().groupMessages).toBe(0);
    await groupSend(alice, bob, newSenderKey(), MessageKind.groupText, groupBody(gid, 'while blocked'));
    expect(await recv(bob)).toEqual({ texts: [], rejected: ['GROUP_EPOCH_UNKNOWN'], edits: [] });
    expect(bob.store.held.counts().groupMessages).toBe(0);
  });
});

describe('the epoch start key a sender keeps (§25.3)', () => {
  it('is kept without a timer, erased when a timer comes on, never kept for a new timed epoch', async () => {
    const { alice, gid } = await team();
    const g = toHex(gid);
    await sendGroupText(alice, 'late', 'before the timer');
    expect(alice.store.senderKeys.own(g)?.start).toBeDefined();
    // Disappearing messages: a copy of chat.db must not derive the keys of messages that have disappeared.
    await setTimer(alice, '#late', 3600);
    await sendGroupText(alice, 'late', 'disappears');
    expect(alice.store.senderKeys.own(g)?.start).toBeUndefined();
    // An epoch 7 days old is replaced at the next send: the new one keeps no start key while the timer is on.
    const old = alice.store.senderKeys.own(g);
    if (!old) throw new Error('alice has no epoch');
    alice.store.senderKeys.saveOwn({ ...old, createdAt: Date.now() - GROUP_EPOCH_MAX_AGE_MS });
    await sendGroupText(alice, 'late', 'in a new epoch');
    const own = alice.store.senderKeys.own(g);
    expect(Buffer.from(own?.key.epoch ?? []).equals(Buffer.from(old.key.epoch))).toBe(false);
    expect(own?.start).toBeUndefined();
  });
});
