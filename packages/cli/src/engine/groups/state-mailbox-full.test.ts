/**
 * A group state record (§15.3) to a member whose mailbox is full (§11) stays in the outbox and reaches the member
 * once the mailbox has room, instead of being dropped: dropped, that member never learned the change and its view of
 * the group forked from everyone else's (send/fanout-codes.ts). A group message to a full mailbox still fails.
 */
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { groupTeam, receiveGroup } from '../../../test/group-receive.js';
import type { Messenger } from '../messenger.js';
import { stateCopyNotice } from '../send/fanout-codes.js';
import { changeGroup, createGroup, sendGroupText } from './groups.js';

const members = (m: Messenger, gid: string): string[] =>
  (m.store.groups.get(gid)?.record.members ?? []).map((x) => x.user).sort();

const world = engineWorld('state-mailbox-full', { limits: { mailboxMaxMessages: 4 } });

describe('a group change to a full mailbox (§11, §15.3)', () => {
  it('stays queued for that member and reaches it with a later pass once the mailbox has room', async () => {
    const { names, ms } = await groupTeam(world, 'alice', 'bob', 'carol'); // bob and carol accept alice's invitations
    const [a, b, c] = names as [string, string, string];
    const [alice, bob, carol] = ms as [Messenger, Messenger, Messenger];
    const { group } = await createGroup(alice, 'full', [b]);
    await receiveGroup(bob);
    await receiveGroup(alice); // her mailbox: the two greetings and bob's receipts, drained
    // Fill bob's mailbox (four envelopes, whatever of alice's receipts is already in it) until the relay refuses.
    let refused: unknown;
    for (let i = 0; i < 5 && refused === undefined; i++) await alice.sendMessage(b, `${i}`).catch((e) => (refused = e));
    expect(refused).toMatchObject({ code: 'MAILBOX_FULL' });

    const { result } = await changeGroup(alice, 'full', 'add', c);
    expect(result.failed).toEqual([{ to: b, code: 'MAILBOX_FULL' }]);
    expect(alice.store.outbox.list().map((e) => e.peer)).toEqual([b]); // carol's copy was stored, bob's is kept
    // What `chat group` and the session say about it; a refusal that retrying will not fix is told as before.
    expect(stateCopyNotice(b, 'MAILBOX_FULL')).toBe(
      `not delivered to ${b} yet: MAILBOX_FULL; queued, it goes out with a later connection`,
    );
    expect(stateCopyNotice(b, 'UNKNOWN_USER')).toBe(`not delivered to ${b}: UNKNOWN_USER`);
    // A group message to the full mailbox fails for bob, as a 1:1 message would, and is not kept.
    expect((await sendGroupText(alice, 'full', 'to everyone')).result.failed).toEqual([
      { to: b, code: 'MAILBOX_FULL' },
    ]);
    expect(alice.store.outbox.list().map((e) => e.peer)).toEqual([b]);

    await receiveGroup(bob); // bob reads his messages: his mailbox has room again
    expect(members(bob, group.gid)).not.toContain(c);
    await alice.withConnectionFor((conn) => alice.flushOutbox(conn)); // alice's next pass (any later connection)
    expect(alice.store.outbox.list()).toEqual([]);
    await receiveGroup(bob);
    expect(members(bob, group.gid)).toEqual([a, b, c].sort());
    await receiveGroup(carol);
    expect(members(carol, group.gid)).toEqual([a, b, c].sort());
  });
});
