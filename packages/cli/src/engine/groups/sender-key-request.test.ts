import { join } from 'node:path';
import {
  MessageKind,
  SENDER_KEY_REQUEST_KIND,
  fromHex,
  groupEncrypt,
  newSenderKey,
  randomMessageId,
} from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { groupTeam, receiveGroup, relayMailbox } from '../../../test/group-receive.js';
import { sealAs } from '../../../test/seal-as.js';
import type { Messenger } from '../messenger.js';
import { groupPlaintext, sealGroupCopy } from '../send/group-sender-key.js';
import { changeGroup, createGroup, sendGroupText } from './groups.js';

const world = engineWorld('sender-key-request');

/** One receive: the group texts shown and the rejection codes. */
async function recv(m: Messenger): Promise<{ texts: string[]; rejected: string[] }> {
  const { texts, rejected } = await receiveGroup(m);
  return { texts, rejected };
}

/** How many envelopes wait in `user`'s mailbox on the relay, read from a copy of its database. */
const waiting = (user: string): number => relayMailbox(join(world.dir(), 'relay'), world.dir(), user).length;

/** `by` asks `to`, in their 1:1 v2 session, for the key of (gid, epoch), as a client would. */
async function request(by: Messenger, to: string, gid: Uint8Array, epoch: Uint8Array): Promise<void> {
  await by.withConnectionFor(async (conn) => {
    const { id, env } = await sealAs(by, conn, to, {
      kind: SENDER_KEY_REQUEST_KIND,
      body: Uint8Array.of(...gid, ...epoch),
    });
    await conn.send(to, id, env);
  });
}

describe('asking for a group sender key again (§25.9)', () => {
  it('a distribution refused because the record adding its sender was held heals at the next message', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'carol');
    const [a, b, c] = names as [string, string, string];
    const [alice, bob, carol] = ms as [Messenger, Messenger, Messenger];
    await carol.sendMessage(b, 'hi'); // a 1:1 session, so that carol's group messages to bob go by sender key
    await createGroup(alice, 'late', [b]);
    await recv(bob);
    // Bob stops accepting alice's key for a while: the record adding carol is held at bob (§3.4).
    bob.store.contacts.import({ ...bob.store.contacts.get(a)!, trust: 'untrusted' });
    await changeGroup(alice, 'late', 'add', c);
    await recv(carol);
    await sendGroupText(carol, 'late', 'one');
    // Carol's distribution: not a member at bob yet. Her message: no key, and no request (not a member either).
    expect(await recv(bob)).toEqual({ texts: [], rejected: ['GROUP_NOT_MEMBER', 'GROUP_EPOCH_UNKNOWN'] });
    expect(waiting(c)).toBe(0);
    bob.trust(a);
    await recv(bob); // the record adding carol, released
    await sendGroupText(carol, 'late', 'two');
    expect(await recv(bob)).toEqual({ texts: [], rejected: [] }); // kept (§25.10), and asked for
    expect(waiting(c)).toBe(1);
    await recv(carol);
    await sendGroupText(carol, 'late', 'three');
    // The answer gives carol's epoch from its start (§25.3): the kept message opens, then the new one.
    expect(await recv(bob)).toEqual({ texts: ['two', 'three'], rejected: [] });
  });

  it('a request from a non-member, or for an old or unknown epoch, changes nothing', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'mallory');
    const [a, b, x] = names as [string, string, string];
    const [alice, bob, mallory] = ms as [Messenger, Messenger, Messenger];
    const { group } = await createGroup(alice, 'old', [b, x]);
    const gid = fromHex(group.gid);
    await recv(bob);
    await recv(mallory);
    await sendGroupText(alice, 'old', 'one');
    const first = alice.store.senderKeys.own(group.gid)!.key.epoch;
    const given = (m: string): number | undefined => alice.store.senderKeys.givenIn(group.gid, m);
    expect(given(b)).toBeDefined();

    await request(bob, a, gid, newSenderKey().epoch); // an epoch alice never had
    await recv(alice);
    expect(given(b)).toBeDefined();

    // Removed, mallory asks for the epoch alice still holds (a new one starts at her next message): ignored.
    await changeGroup(alice, 'old', 'remove', x);
    await request(mallory, a, gid, first);
    await recv(alice);
    expect(given(x)).toBeDefined();

    await recv(bob);
    await sendGroupText(alice, 'old', 'two');
    expect((await recv(bob)).texts).toEqual(['two']);
    await request(bob, a, gid, first); // the epoch before
    await recv(alice);
    expect(given(b)).toBeDefined();

    // The control: the current epoch, from a member, is given again with the next message.
    await request(bob, a, gid, alice.store.senderKeys.own(group.gid)!.key.epoch);
    await recv(alice);
    expect(given(b)).toBeUndefined();
    await sendGroupText(alice, 'old', 'three');
    expect(given(b)).toBeDefined();
    expect((await recv(bob)).texts).toEqual(['three']);
  });

  it('a flood of forged GROUP_EPOCH_UNKNOWN messages makes one request until the key comes', async () => {
    const names = await world.users('alice', 'bob', 'mallory');
    const [a, b] = names as [string, string, string];
    const [alice, bob, mallory] = (await Promise.all(names.map((n) => world.open(n)))) as [
      Messenger,
      Messenger,
      Messenger,
    ];
    await bob.sendMessage(a, 'hi');
    const { group } = await createGroup(alice, 'flood', [b]);
    const gid = fromHex(group.gid);
    await recv(bob);
    await sendGroupText(alice, 'flood', 'one');
    expect((await recv(bob)).texts).toEqual(['one']);
    await recv(alice);
    expect(waiting(a)).toBe(0);
    // Anyone who knows the group's id can seal a group message claiming to be alice's, in an epoch of its making.
    const forge = async (n: number): Promise<void> => {
      for (let k = 0; k < n; k++) {
        const body = Uint8Array.of(...gid, ...Buffer.from('forged'));
        const { message } = groupEncrypt(newSenderKey(), a, gid, groupPlaintext(MessageKind.groupText, 1, body));
        const env = sealGroupCopy(message, bob.identity.encryption.publicKey);
        await mallory.withConnectionFor((conn) => conn.send(b, randomMessageId(), env));
      }
    };
    await forge(20);
    expect((await recv(bob)).rejected).toEqual([]); // kept for keys that never come (§25.10), within its bound
    expect(bob.store.held.counts().groupMessages).toBe(20);
    expect(waiting(a)).toBe(1);
    await forge(20);
    expect(bob.store.held.counts().groupMessages).toBe(20);
    await recv(bob);
    expect(bob.store.held.counts().groupMessages).toBe(40);
    expect(waiting(a)).toBe(1); // the request to alice for this group is still open
    await recv(alice); // none names her epoch: nothing changes
    expect(alice.store.senderKeys.givenIn(group.gid, b)).toBeDefined();
    // Alice's next message decrypts at bob: the request is answered, and the next flood makes one more.
    await sendGroupText(alice, 'flood', 'two');
    expect((await recv(bob)).texts).toEqual(['two']);
    await forge(20);
    await recv(bob);
    expect(bob.store.held.counts().groupMessages).toBe(60);
    expect(waiting(a)).toBe(1);
  });
});
