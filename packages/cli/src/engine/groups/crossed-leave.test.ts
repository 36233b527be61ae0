/**
 * PROTOCOL.md §15.4 step 6: a member who leaves while the admin changes the group (its leave made from a version the
 * admin has moved past) is removed by the admin, so that every member agrees it is out. The relay in process, real
 * SQLite, the engine's own send and receive paths.
 */
import { MessageKind } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { groupEvents } from '../../../test/group-receive.js';
import { changeGroup, createGroup, sendGroupText } from './groups.js';

const world = engineWorld('crossed-leave');
const { users, as } = world;

const recv = (user: string) =>
  as(user, async (m) => {
    const { got, rejected } = await groupEvents(m);
    return { got, rejected };
  });

const membersOf = (user: string, gid: string) =>
  as(user, async (m) => {
    const g = m.store.groups.get(gid);
    return g && { member: g.member, version: g.record.version, members: g.record.members.map((x) => x.user) };
  });

describe('a leave that crossed a change (§15.4 step 6)', () => {
  it('the admin removes the leaver: admin and members agree it is out, and it is never addressed again', async () => {
    const [a, b, c, d] = await users('alice', 'bob', 'carol', 'dave');
    for (const u of [b!, c!, d!]) await as(u, (m) => m.sendMessage(a!, 'hi')); // alice is their contact (§15.7)
    const { group } = await as(a!, (m) => createGroup(m, 'crew', [b!, c!, d!]));
    for (const u of [b!, c!, d!]) await recv(u);
    await as(a!, (m) => changeGroup(m, 'crew', 'remove', c!)); // version 2, not yet seen by bob
    await as(b!, (m) => changeGroup(m, 'crew', 'leave', '')); // bob's version 2, from version 1: crosses alice's
    expect(await membersOf(b!, group.gid)).toMatchObject({ member: false });

    const atAlice = await recv(a!);
    expect(atAlice.rejected).toEqual([]);
    expect(atAlice.got.map((x) => [x.kind, x.from, x.body])).toEqual([['event', b!, `${b} left`]]);
    expect(await membersOf(a!, group.gid)).toEqual({ member: true, version: 3, members: [a!, d!] });

    const atDave = await recv(d!); // alice's remove of carol, bob's crossed leave (stale here), alice's remove of bob
    expect(atDave.rejected).toEqual([]);
    expect(atDave.got.map((x) => x.body)).toEqual([`${a} removed ${c}`, `${a} removed ${b}`]);
    expect(await membersOf(d!, group.gid)).toEqual({ member: true, version: 3, members: [a!, d!] });

    const { result } = await as(a!, (m) => sendGroupText(m, 'crew', 'after bob left'));
    expect(result.stored.map((s) => s.to)).toEqual([d!]);
    expect((await recv(d!)).got.map((x) => x.body)).toEqual(['after bob left']);
    // bob is out: told of the changes that crossed his leave, he takes them without a word, and gets no message.
    expect(await recv(b!)).toEqual({ got: [], rejected: [] });
    expect(await membersOf(b!, group.gid)).toMatchObject({ member: false });
  });

  it('a member who is not an admin makes no change of its own for a crossed leave; its admin does', async () => {
    const [a, b, c] = await users('alice', 'bob', 'carol');
    for (const u of [b!, c!]) await as(u, (m) => m.sendMessage(a!, 'hi'));
    const { group } = await as(a!, (m) => createGroup(m, 'pair', [b!, c!]));
    for (const u of [b!, c!]) await recv(u);
    await as(a!, (m) => changeGroup(m, 'pair', 'rename', '', 'pair2')); // version 2
    await recv(c!);
    await as(b!, (m) => changeGroup(m, 'pair', 'leave', '')); // from version 1: crosses the rename
    const atCarol = await recv(c!); // stale at carol, who is no admin: nothing of her own
    expect(atCarol.got).toEqual([]);
    expect(await membersOf(c!, group.gid)).toEqual({ member: true, version: 2, members: [a!, b!, c!] });
    await recv(a!); // the admin removes bob (version 3) and carol follows
    await recv(c!);
    expect(await membersOf(c!, group.gid)).toEqual({ member: true, version: 3, members: [a!, c!] });
    expect(await as(c!, async (m) => m.store.outbox.list().filter((e) => e.kind === MessageKind.groupState))).toEqual(
      [],
    );
  });
});
