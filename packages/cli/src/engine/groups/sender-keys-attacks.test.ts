/**
 * Group sender keys (PROTOCOL.md §25) under attack by a member of the group, against the real relay in process: the
 * member writes as another member (with her own epoch, or with the other's chain key she holds and her own signing
 * key), hands out a distribution naming another member's epoch, smuggles a kind or another group's id, floods
 * distributions, and writes in her old epoch after her removal. Every bad case gets its code; nothing else changes.
 * And a member whose key is not accepted: its messages wait with its held distribution instead of being lost.
 */
import {
  GROUP_MAX_SENDER_EPOCHS,
  MessageKind,
  SENDER_KEY_KIND,
  distributionOf,
  encodeGroupRecord,
  encodeSenderKeyDistribution,
  fromHex,
  newSenderKey,
} from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { craftGroupMessage, groupBody, groupTeam, receiveGroup } from '../../../test/group-receive.js';
import { sealAs } from '../../../test/seal-as.js';
import type { Messenger } from '../messenger.js';
import { SENDER_KEY_UNUSED_MS } from '../v2/publish.js';
import { changeGroup, createGroup, sendGroupText } from './groups.js';

const world = engineWorld('sender-key-attacks');

/** One receive: the group texts shown and the rejection codes. */
async function recv(m: Messenger): Promise<{ texts: string[]; rejected: string[] }> {
  const { texts, rejected } = await receiveGroup(m);
  return { texts, rejected };
}

describe('group sender keys under attack by a member (§25)', () => {
  it('a member cannot write as another, hijack its chain, smuggle a kind, or write after her removal', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'mallory');
    const [a, b, x] = names as [string, string, string];
    const [alice, bob, mallory] = ms as [Messenger, Messenger, Messenger];
    await mallory.sendMessage(b, 'hi'); // a 1:1 session, so that mallory's own group messages go by sender key
    const { group } = await createGroup(alice, 'atk', [b, x]);
    const gid = fromHex(group.gid);
    await recv(bob);
    await recv(mallory);
    await sendGroupText(alice, 'atk', 'from alice');
    await sendGroupText(mallory, 'atk', 'from mallory');
    expect((await recv(bob)).texts).toEqual(['from alice', 'from mallory']);
    await recv(mallory);
    const aliceEpoch = alice.store.senderKeys.own(group.gid)!.key.epoch;
    const own = mallory.store.senderKeys.own(group.gid)!.key; // mallory's own epoch, with its signing key
    const held = mallory.store.senderKeys.peer(group.gid, a, aliceEpoch)!; // alice's chain as mallory holds it
    const bobsAlice = bob.store.senderKeys.peer(group.gid, a, aliceEpoch)!;

    // A distribution from mallory naming alice's epoch is mallory's chain, never alice's (keyed by its session peer).
    const hijack = { ...newSenderKey(), epoch: aliceEpoch };
    await mallory.withConnectionFor(async (conn) => {
      const body = encodeSenderKeyDistribution(distributionOf(gid, hijack));
      const { id, env } = await sealAs(mallory, conn, b, { kind: SENDER_KEY_KIND, body });
      await conn.send(b, id, env);
    });
    expect(await recv(bob)).toEqual({ texts: [], rejected: [] });
    expect(bob.store.senderKeys.peer(group.gid, a, aliceEpoch)).toEqual(bobsAlice);

    // As alice, in mallory's own epoch: bob holds no chain of alice's by that epoch.
    await craftGroupMessage(mallory, bob, own, a, gid, groupBody(gid, 'I am alice'));
    // As alice, in alice's epoch, with the chain key mallory holds and a signing key of mallory's: bad signature.
    const forged = { epoch: aliceEpoch, iteration: held.iteration, chainKey: held.chainKey } as const;
    await craftGroupMessage(mallory, bob, { ...own, ...forged }, a, gid, groupBody(gid, 'I am alice'));
    await craftGroupMessage(mallory, bob, { ...hijack, ...forged }, a, gid, groupBody(gid, 'I am alice'));
    // In her own chain: a state record as a group message, and a body naming another group than the header.
    let mine = await craftGroupMessage(mallory, bob, own, x, gid, groupBody(gid, 'state'), MessageKind.groupState);
    mine = await craftGroupMessage(mallory, bob, mine, x, gid, groupBody(new Uint8Array(16).fill(7), 'elsewhere'));
    expect(await recv(bob)).toEqual({
      texts: [],
      rejected: [
        // 'I am alice' in mallory's own epoch is kept for a distribution from alice (§25.10), not rejected
        'GROUP_BAD_SIGNATURE',
        'GROUP_BAD_SIGNATURE',
        'ENVELOPE_MALFORMED',
        'ENVELOPE_MALFORMED',
      ],
    });
    expect(bob.store.senderKeys.peer(group.gid, a, aliceEpoch)).toEqual(bobsAlice);

    // Removed, mallory writes in the epoch bob still holds of hers: not a member.
    await changeGroup(alice, 'atk', 'remove', x);
    await recv(bob);
    await craftGroupMessage(mallory, bob, mine, x, gid, groupBody(gid, 'still here'));
    expect(await recv(bob)).toEqual({ texts: [], rejected: ['GROUP_NOT_MEMBER'] });
    await sendGroupText(alice, 'atk', 'after mallory');
    expect((await recv(bob)).texts).toEqual(['after mallory']);
  });

  it('a flood of distributions from one member keeps at most GROUP_MAX_SENDER_EPOCHS of its chains', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'mallory');
    const [a, b] = names as [string, string, string];
    const [alice, bob, mallory] = ms as [Messenger, Messenger, Messenger];
    const { group } = await createGroup(alice, 'flood', [b, mallory.username]);
    const gid = fromHex(group.gid);
    await recv(bob);
    await recv(mallory);
    await sendGroupText(alice, 'flood', 'before');
    expect((await recv(bob)).texts).toEqual(['before']);
    const aliceEpoch = alice.store.senderKeys.own(group.gid)!.key.epoch;

    // Each chain may hold 1,000 skipped keys (36 kB): without a bound per member, two envelopes cost bob 36 kB.
    const keys = Array.from({ length: GROUP_MAX_SENDER_EPOCHS + 3 }, () => newSenderKey());
    await mallory.withConnectionFor(async (conn) => {
      for (const k of keys) {
        const body = encodeSenderKeyDistribution(distributionOf(gid, k));
        const { id, env } = await sealAs(mallory, conn, b, { kind: SENDER_KEY_KIND, body });
        await conn.send(b, id, env);
      }
    });
    expect(await recv(bob)).toEqual({ texts: [], rejected: [] });
    const held = keys.map((k) => bob.store.senderKeys.peer(group.gid, mallory.username, k.epoch) !== undefined);
    expect(held).toEqual(keys.map((_, i) => i >= keys.length - GROUP_MAX_SENDER_EPOCHS));
    // Another member's chain is not hers to push out, and the newest of hers still reads.
    expect(bob.store.senderKeys.peer(group.gid, a, aliceEpoch)).toBeDefined();
    await craftGroupMessage(mallory, bob, keys.at(-1)!, mallory.username, gid, groupBody(gid, 'newest'));
    expect(await recv(bob)).toEqual({ texts: ['newest'], rejected: [] });
    await sendGroupText(alice, 'flood', 'after');
    expect((await recv(bob)).texts).toEqual(['after']);
  });

  it("a member's messages wait with its distribution while its key is not accepted, and read once it is", async () => {
    const names = await world.users('alice', 'bob', 'carol');
    const [a, b, c] = names as [string, string, string];
    const alice = await world.open(a);
    const bob = await world.open(b, { trustNewIdentities: 'never' });
    const carol = await world.open(c);
    await bob.lookupAndPin(a).catch(() => {}); // pinned untrusted (refused), then accepted
    bob.trust(a);
    await bob.sendMessage(a, 'hi');
    await carol.sendMessage(a, 'hi');
    await carol.sendMessage(b, 'hi'); // bob pins carol untrusted (trust-new-identities never)
    await createGroup(alice, 'wait', [b, c]);
    expect(await recv(bob)).toEqual({ texts: [], rejected: [] });
    await recv(carol);
    await sendGroupText(carol, 'wait', 'from carol');
    // The distribution is held with carol's other envelopes; so is the message it is for, not rejected and lost.
    const held: string[] = [];
    const onHeld = (h: { reason: string }): void => void held.push(h.reason);
    bob.on('held', onHeld);
    expect(await recv(bob)).toEqual({ texts: [], rejected: [] });
    bob.off('held', onHeld);
    expect(held).toEqual(['UNTRUSTED_IDENTITY', 'UNTRUSTED_IDENTITY', 'UNTRUSTED_IDENTITY']);
    bob.trust(c);
    expect(await recv(bob)).toEqual({ texts: ['from carol'], rejected: [] });
  });

  it("a chain last used 31 days ago survives the sweep: its epoch's later messages can still be on the relay", async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob');
    const [a, b] = names as [string, string];
    const [alice, bob] = ms as [Messenger, Messenger];
    const { group } = await createGroup(alice, 'old', [b]);
    await recv(bob);
    await sendGroupText(alice, 'old', 'first');
    expect((await recv(bob)).texts).toEqual(['first']);
    // Bob stored the chain (or last read in it) 31 days ago; alice wrote in the epoch days later (an epoch lives up to
    // 7 days), and that message waits on the relay for up to 30 days.
    const epoch = alice.store.senderKeys.own(group.gid)!.key.epoch;
    const chain = bob.store.senderKeys.peer(group.gid, a, epoch)!;
    bob.store.senderKeys.savePeer(group.gid, a, epoch, chain, Date.now() - 31 * 24 * 3600 * 1000);
    await sendGroupText(alice, 'old', 'late');
    bob.store.senderKeys.sweep(Date.now() - SENDER_KEY_UNUSED_MS);
    expect(await recv(bob)).toEqual({ texts: ['late'], rejected: [] });
    // Past the bound it is erased.
    bob.store.senderKeys.savePeer(group.gid, a, epoch, chain, Date.now() - SENDER_KEY_UNUSED_MS - 1);
    bob.store.senderKeys.sweep(Date.now() - SENDER_KEY_UNUSED_MS);
    expect(bob.store.senderKeys.peer(group.gid, a, epoch)).toBeUndefined();
  });

  it('a new epoch also when the group is replaced by another record of the same version (a competing one taken)', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'carol');
    const [, b, c] = names as [string, string, string];
    const [alice, bob, carol] = ms as [Messenger, Messenger, Messenger];
    const { group } = await createGroup(alice, 'fork', [b, c]);
    await recv(bob);
    await recv(carol);
    await sendGroupText(alice, 'fork', 'one');
    const first = alice.store.senderKeys.own(group.gid)!.key.epoch;
    // Alice takes a version of the group with the same number that leaves carol out (§15.7 rule 5, `accept --from`).
    const record = { ...group.record, members: group.record.members.filter((x) => x.user !== c) };
    alice.store.groups.put(record, encodeGroupRecord(record), true, Date.now());
    await sendGroupText(alice, 'fork', 'two');
    expect(alice.store.senderKeys.own(group.gid)!.key.epoch).not.toEqual(first); // carol's chain does not read it
    expect((await recv(bob)).texts).toEqual(['one', 'two']);
  });
});
