/**
 * PROTOCOL.md §15.4 step 6 against the one who carries the records: a relay that kept a member's old leave delivers it
 * again after the member was added back. An admin must not take it for a leave that crossed a change (the relay would
 * have the member removed); a leave made after the member's return still is one, and so is a blocked member's own.
 * The relay in process, real SQLite, the engine's own send and receive paths; the replay is stored with `conn.send`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { groupEvents, relayMailbox } from '../../../test/group-receive.js';
import { changeGroup, createGroup, sendGroupText } from './groups.js';
import { acceptGroup } from './invitations.js';

const world = engineWorld('crossed-leave-replay');
const { users, as } = world;

const recv = (user: string, options = {}) =>
  as(
    user,
    async (m) => {
      const { got, rejected } = await groupEvents(m);
      return { got: got.map((x) => x.body), rejected: rejected.map((r) => r.code) };
    },
    options,
  );

const membersOf = (user: string, gid: string) =>
  as(user, async (m) => {
    const g = m.store.groups.get(gid);
    return g && { member: g.member, version: g.record.version, members: g.record.members.map((x) => x.user) };
  });

describe('a replayed old leave (§15.4 step 6)', () => {
  it('is no crossed leave: a member who came back stays in; a leave made after its return is one', async () => {
    // carol's client speaks v1 only: a v1 envelope carries no ratchet, so only its id and version tell a replay.
    const [a, b] = (await users('alice', 'bob')) as [string, string];
    const c = await world.v1User('carol');
    const v1 = { v1Only: true };
    await as(b, (m) => m.sendMessage(a, 'hi'));
    await as(c, (m) => m.sendMessage(a, 'hi', undefined, { allowV1: true }), v1);
    const { group } = await as(a, (m) => createGroup(m, 'crew', [b, c]));
    await recv(b);
    await recv(c, v1);
    await as(c, (m) => changeGroup(m, 'crew', 'leave', ''), v1); // version 2
    // What a relay that keeps copies has of it: carol's leave as stored for alice.
    const leave = relayMailbox(join(world.dir(), 'relay'), world.dir(), a).at(-1)!;
    expect((await recv(a)).got).toEqual([`${c} left`]);
    await as(a, (m) => changeGroup(m, 'crew', 'add', c)); // version 3: carol again
    await recv(c, v1);
    await as(c, async (m) => acceptGroup(m, 'crew'), v1);
    await recv(b);
    expect(await membersOf(a, group.gid)).toEqual({ member: true, version: 3, members: [a, b, c] });

    // The relay stores the old leave for alice again, under its own id.
    await as(b, (m) => m.withConnectionFor((conn) => conn.send(a, leave.id, leave.env)));
    expect(await recv(a)).toEqual({ got: [], rejected: [] }); // stale (§15.4 step 3): acknowledged, nothing shown
    expect(await membersOf(a, group.gid)).toEqual({ member: true, version: 3, members: [a, b, c] });
    const { result } = await as(a, (m) => sendGroupText(m, 'crew', 'carol is back'));
    expect(result.stored.map((s) => s.to).sort()).toEqual([b, c].sort());

    // A leave carol makes now, from version 3, crossing alice's rename (version 4), is one: alice removes her.
    await as(a, (m) => changeGroup(m, 'crew', 'rename', '', 'crew2'));
    await as(c, (m) => changeGroup(m, 'crew', 'leave', ''), v1);
    expect(await recv(a)).toEqual({ got: [`${c} left`], rejected: [] });
    expect(await membersOf(a, group.gid)).toEqual({ member: true, version: 5, members: [a, b] });
  });

  it("a blocked member's crossed leave is merged too: it can only take the signer out", async () => {
    const [a, b, c] = (await users('alice', 'bob', 'carol')) as [string, string, string];
    for (const u of [b, c]) await as(u, (m) => m.sendMessage(a, 'hi'));
    const { group } = await as(a, (m) => createGroup(m, 'crew', [b, c]));
    await recv(b);
    await recv(c);
    await as(a, async (m) => void m.store.blocked.block(c, Date.now()));
    await as(a, (m) => changeGroup(m, 'crew', 'rename', '', 'crew2')); // version 2
    await as(c, (m) => changeGroup(m, 'crew', 'leave', '')); // carol's version 2, from 1: crossed
    await recv(a);
    expect(await membersOf(a, group.gid)).toEqual({ member: true, version: 3, members: [a, b] });
    const { result } = await as(a, (m) => sendGroupText(m, 'crew2', 'carol is out'));
    expect(result.stored.map((s) => s.to)).toEqual([b]);
  });
});
