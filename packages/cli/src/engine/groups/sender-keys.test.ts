import { join } from 'node:path';
import {
  GROUP_ENVELOPE_VERSION,
  SENDER_KEY_KIND,
  distributionOf,
  encodeSenderKeyDistribution,
  newSenderKey,
  GROUP_EPOCH_MAX_AGE_MS,
  GROUP_EPOCH_MAX_MESSAGES,
  groupDecrypt,
  groupEncrypt,
  openSealed,
  parseGroupMessage,
  randomMessageId,
  fromHex,
} from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { groupTeam, receiveGroup, relayMailbox } from '../../../test/group-receive.js';
import { takeFromMailbox } from '../../../test/relay-db.js';
import { sealAs } from '../../../test/seal-as.js';
import type { Messenger } from '../messenger.js';
import { ChatError } from '../errors.js';
import { Connection } from '../net/connection.js';
import { groupPlaintext, sealGroupCopy } from '../send/group-sender-key.js';
import { changeGroup, createGroup, sendGroupText } from './groups.js';

const world = engineWorld('sender-keys');

/** `user`'s mailbox on the relay now, read from a copy of its data directory (as an attacker with a copy would). */
const mailbox = (user: string) => relayMailbox(join(world.dir(), 'relay'), world.dir(), user);

/** The group message inside a sender-key envelope, opened with its recipient's key. */
function gmsgOf(m: Messenger, env: Uint8Array): Uint8Array {
  expect(env[0]).toBe(GROUP_ENVELOPE_VERSION);
  const { publicKey, secretKey } = m.identity.encryption;
  return openSealed(env.subarray(1), publicKey, secretKey);
}

const recv = receiveGroup;

/** Delivers `env` to `to` under a fresh id (or `id`), as the relay or anyone with an account can. */
function deliver(m: Messenger, to: string, env: Uint8Array, id = randomMessageId()): Promise<void> {
  return m.withConnectionFor((c) => c.send(to, id, env));
}

describe('group sender keys (§25)', () => {
  it('one encryption for every member; a removed member cannot read the next message, even given a copy', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'carol');
    const [a, b, c] = names as [string, string, string];
    const [alice, bob, carol] = ms as [Messenger, Messenger, Messenger];
    const { group } = await createGroup(alice, 'sk', [b, c]);
    await recv(bob);
    await recv(carol);

    await sendGroupText(alice, 'sk', 'before the removal');
    const [toBob, toCarol] = [mailbox(b).at(-1)!, mailbox(c).at(-1)!];
    const before = gmsgOf(bob, toBob.env);
    expect(gmsgOf(carol, toCarol.env)).toEqual(before); // encrypted once: the same bytes in each sealed box
    expect(Buffer.from(toBob.env).equals(Buffer.from(toCarol.env))).toBe(false);
    expect((await recv(bob)).texts).toEqual(['before the removal']);
    expect((await recv(carol)).texts).toEqual(['before the removal']);

    // What a removed member who wants to keep reading keeps: her receiving chain of alice's epoch, before removal.
    const epoch = parseGroupMessage(before).epoch;
    const kept = carol.store.senderKeys.peer(group.gid, a, epoch)!;
    expect(kept).toBeDefined();
    await changeGroup(alice, 'sk', 'remove', c);
    await recv(bob);
    await recv(carol);
    expect(carol.store.senderKeys.peer(group.gid, a, epoch)).toBeUndefined(); // her client erased it (§25.7)
    const oldKey = alice.store.senderKeys.own(group.gid)!.key; // alice's epoch that carol holds, for the control
    await sendGroupText(alice, 'sk', 'after the removal');
    expect(mailbox(c)).toEqual([]); // carol is not addressed
    const after = gmsgOf(bob, mailbox(b).at(-1)!.env);
    expect(parseGroupMessage(after).epoch).not.toEqual(epoch); // a new epoch (§25.6)
    expect((await recv(bob)).texts).toEqual(['after the removal']);

    // Carol is handed bob's copy, sealed to her: her client has no chain for the new epoch, and the chain she kept
    // does not open it either.
    await deliver(alice, c, sealGroupCopy(after, carol.identity.encryption.publicKey));
    expect(await recv(carol)).toMatchObject({ texts: [], rejected: ['GROUP_EPOCH_UNKNOWN'] });
    expect(() => groupDecrypt(kept, parseGroupMessage(after))).toThrow(
      expect.objectContaining({ code: 'GROUP_BAD_SIGNATURE' }),
    );

    // The control: had alice not started a new epoch at the removal, the chain carol kept would read the message.
    const gid = fromHex(group.gid);
    const text = new Uint8Array([...gid, ...Buffer.from('after the removal')]);
    const unrotated = groupEncrypt(oldKey, a, gid, groupPlaintext(0x10, Date.now(), text));
    const opened = groupDecrypt(kept, parseGroupMessage(unrotated.message)).plaintext;
    expect(Buffer.from(opened).includes(Buffer.from('after the removal'))).toBe(true);
  });

  it('a new epoch after 1,000 messages or 7 days, given to every member first; none while neither is due', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob');
    const [, b] = names as [string, string];
    const [alice, bob] = ms as [Messenger, Messenger];
    const { group } = await createGroup(alice, 'rot', [b]);
    await recv(bob);
    const epochOf = (text: string) => async () => {
      await sendGroupText(alice, 'rot', text);
      const box = mailbox(b);
      const epoch = parseGroupMessage(gmsgOf(bob, box.at(-1)!.env)).epoch;
      expect((await recv(bob)).texts).toEqual([text]);
      return { epoch, envelopes: box.length };
    };
    const first = await epochOf('first')();
    expect(first.envelopes).toBe(2); // the distribution, then the message
    const same = await epochOf('same epoch')();
    expect(same).toEqual({ epoch: first.epoch, envelopes: 1 });
    const own = alice.store.senderKeys.own(group.gid)!;
    alice.store.senderKeys.saveOwn({ ...own, key: { ...own.key, iteration: GROUP_EPOCH_MAX_MESSAGES } });
    const counted = await epochOf('after 1,000')();
    expect(counted.envelopes).toBe(2);
    expect(counted.epoch).not.toEqual(first.epoch);
    const aged = alice.store.senderKeys.own(group.gid)!;
    alice.store.senderKeys.saveOwn({ ...aged, createdAt: Date.now() - GROUP_EPOCH_MAX_AGE_MS });
    const old = await epochOf('after 7 days')();
    expect(old.envelopes).toBe(2);
    expect(old.epoch).not.toEqual(counted.epoch);
  });

  it('a member added later is given only the new epoch; a distribution from a non-member is refused', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'dave', 'mallory');
    const [a, b, d] = names as [string, string, string];
    const [alice, bob, dave, mallory] = ms as [Messenger, Messenger, Messenger, Messenger];
    const { group } = await createGroup(alice, 'grow', [b]);
    await recv(bob);
    await sendGroupText(alice, 'grow', 'before dave');
    const before = parseGroupMessage(gmsgOf(bob, mailbox(b).at(-1)!.env)).epoch;
    await recv(bob);
    await changeGroup(alice, 'grow', 'add', d);
    await recv(dave);
    await sendGroupText(alice, 'grow', 'welcome');
    expect((await recv(dave)).texts).toEqual(['welcome']);
    expect(dave.store.senderKeys.peer(group.gid, a, before)).toBeUndefined();
    // Mallory, in no version of the group, hands bob a sender key for it in their 1:1 session: refused.
    const forged = encodeSenderKeyDistribution(distributionOf(fromHex(group.gid), newSenderKey()));
    await mallory.withConnectionFor(async (conn) => {
      const { id, env } = await sealAs(mallory, conn, b, { kind: SENDER_KEY_KIND, body: forged });
      await conn.send(b, id, env);
    });
    expect(await recv(bob)).toMatchObject({ texts: ['welcome'], rejected: ['GROUP_NOT_MEMBER'] });
  });

  it('a distribution the relay refuses for good is given again with the next message', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob');
    const [, b] = names as [string, string];
    const [alice, bob] = ms as [Messenger, Messenger];
    await createGroup(alice, 'full', [b]);
    await recv(bob);
    const real = Connection.prototype.send;
    let refused = 0;
    // The only 1:1 send of a group send is the distribution: bob's mailbox is full for it, then has room again.
    Connection.prototype.send = async function (this: Connection, ...args: Parameters<Connection['send']>) {
      if (refused++ === 0) throw new ChatError('MAILBOX_FULL', 'the test fills it');
      return real.apply(this, args);
    };
    try {
      await sendGroupText(alice, 'full', 'lost key');
    } finally {
      Connection.prototype.send = real;
    }
    expect(refused).toBe(1);
    expect(await recv(bob)).toMatchObject({ texts: [], rejected: [] }); // kept for its key (§25.10)
    await sendGroupText(alice, 'full', 'key again');
    // The new distribution gives the epoch from its start (§25.3): the kept message opens before the new one.
    expect(await recv(bob)).toMatchObject({ texts: ['lost key', 'key again'], rejected: [] });
  });

  it('delivers group messages out of order, and drops a duplicate under the same or another id', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob');
    const [, b] = names as [string, string];
    const [alice, bob] = ms as [Messenger, Messenger];
    await createGroup(alice, 'ooo', [b]);
    await recv(bob);
    await sendGroupText(alice, 'ooo', 'first'); // gives bob the epoch
    expect((await recv(bob)).texts).toEqual(['first']);
    // The relay withholds the next three (it reported them stored), then delivers them in another order.
    for (const t of ['one', 'two', 'three']) await sendGroupText(alice, 'ooo', t);
    const held = takeFromMailbox(join(world.dir(), 'relay'), b, 3);
    expect(held.map((h) => h.env[0])).toEqual([1, 2, 3].map(() => GROUP_ENVELOPE_VERSION));
    expect(mailbox(b)).toEqual([]);
    for (const k of [2, 0, 1]) await deliver(alice, b, held[k]!.env, held[k]!.id);
    expect(await recv(bob)).toMatchObject({ texts: ['three', 'one', 'two'], rejected: [] });
    // The same envelope again (same id), and the same message sealed again under a new id: neither is shown.
    await deliver(alice, b, held[1]!.env, held[1]!.id);
    await deliver(alice, b, sealGroupCopy(gmsgOf(bob, held[1]!.env), bob.identity.encryption.publicKey));
    expect(await recv(bob)).toMatchObject({ texts: [], rejected: [], duplicates: 2 });
  });

  it('a member without v2 still receives every group message, pairwise as v1', async () => {
    const [a, b] = (await world.users('alice', 'bob')) as [string, string];
    // Vic's client speaks v1 only (hello 1 since its login): it publishes no prekeys and fetches none.
    const v = await world.v1User('vic');
    const [alice, bob] = await Promise.all([a, b].map((n) => world.open(n)));
    const vic = await world.open(v, { v1Only: true });
    expect(await vic.withConnectionFor(async (c) => c.speaksV2)).toBe(false);
    await expect(alice!.withConnectionFor((c) => c.prekeyGet(v))).resolves.toBeNull();
    await bob!.sendMessage(a, 'hi');
    await vic.sendMessage(a, 'hi', undefined, { allowV1: true });
    await createGroup(alice!, 'mixed', [b, v]);
    await recv(bob!);
    await recv(vic);
    await sendGroupText(alice!, 'mixed', 'to everyone');
    expect(mailbox(b).at(-1)!.env[0]).toBe(GROUP_ENVELOPE_VERSION);
    expect(mailbox(v).at(-1)!.env[0]).toBe(0x01);
    expect(await recv(bob!)).toMatchObject({ texts: ['to everyone'], rejected: [] });
    expect(await recv(vic)).toMatchObject({ texts: ['to everyone'], rejected: [] });
  });
});
