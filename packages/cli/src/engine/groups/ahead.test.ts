/**
 * PROTOCOL.md §15.4 step 7: a change that arrives before the change it was made from (the relay delayed one copy:
 * another sender's outbox held it, a relay reordered the mailbox) is kept and applied once the change before it has
 * come, so the member does not stay behind for good, refusing every later change. The relay in process, real SQLite,
 * the engine's own send and receive paths; the delay is made by taking the envelope out of the relay's mailbox and
 * storing it again later.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { groupEvents, relayMailbox } from '../../../test/group-receive.js';
import { MessageKind, encodeGroupRecord, fromHex } from '@chat/crypto';
import { changeGroup, createGroup, sendGroupText } from './groups.js';

const world = engineWorld('group-ahead');
const { users, as } = world;

const recv = (user: string) =>
  as(user, async (m) => {
    const { got, rejected } = await groupEvents(m);
    return { got: got.map((x) => x.body), rejected: rejected.map((r) => r.code) };
  });

const membersOf = (user: string, gid: string) =>
  as(user, async (m) => {
    const g = m.store.groups.get(gid);
    return g && { version: g.record.version, name: g.record.name, members: g.record.members.map((x) => x.user) };
  });

/** Takes the newest envelope waiting for `user` out of the relay's mailbox; returns it, to be stored again later. */
function withhold(user: string): { id: Uint8Array; env: Uint8Array } {
  const relayDir = join(world.dir(), 'relay');
  const kept = relayMailbox(relayDir, world.dir(), user).at(-1)!;
  const db = new Database(join(relayDir, 'relay.db'));
  try {
    expect(
      db.prepare('DELETE FROM envelopes WHERE recipient = ? AND id = ?').run(user, Buffer.from(kept.id)).changes,
    ).toBe(1);
  } finally {
    db.close();
  }
  return kept;
}

describe('a change that arrives before the one it follows (§15.4 step 7)', () => {
  it('is kept, then applied after it: the member ends where everyone else is and takes later changes', async () => {
    const [a, b, c] = (await users('alice', 'bob', 'carol')) as [string, string, string];
    for (const u of [b, c]) await as(u, (m) => m.sendMessage(a, 'hi'));
    const { group } = await as(a, (m) => createGroup(m, 'crew', [b, c]));
    await recv(b);
    await recv(c);
    await as(a, (m) => changeGroup(m, 'crew', 'rename', '', 'crew2')); // version 2
    const late = withhold(b); // bob's copy of version 2, delayed
    await recv(c);
    await as(c, (m) => changeGroup(m, 'crew2', 'leave', '')); // version 3, made from 2
    expect(await recv(b)).toEqual({ got: [], rejected: [] }); // version 3 kept: nothing shown, nothing refused
    expect(await membersOf(b, group.gid)).toEqual({ version: 1, name: 'crew', members: [a, b, c] });

    await as(b, (m) => m.withConnectionFor((conn) => conn.send(b, late.id, late.env))); // version 2 comes at last
    expect(await recv(b)).toEqual({ got: [`${a} renamed the group to #crew2`, `${c} left`], rejected: [] });
    expect(await membersOf(b, group.gid)).toEqual({ version: 3, name: 'crew2', members: [a, b] });

    await recv(a);
    await as(a, (m) => changeGroup(m, 'crew2', 'rename', '', 'crew3')); // version 4
    expect(await recv(b)).toEqual({ got: [`${a} renamed the group to #crew3`], rejected: [] });
    expect(await membersOf(b, group.gid)).toEqual({ version: 4, name: 'crew3', members: [a, b] });
  });

  it('keeps nothing of someone out of the group: an ex-member cannot take the places of real early changes', async () => {
    const [a, b, c, x] = (await users('alice', 'bob', 'carol', 'mallory')) as [string, string, string, string];
    for (const u of [b, c, x]) await as(u, (m) => m.sendMessage(a, 'hi'));
    const { group } = await as(a, (m) => createGroup(m, 'crew', [b, c, x]));
    for (const u of [b, c, x]) await recv(u);
    await as(a, (m) => changeGroup(m, 'crew', 'remove', x)); // version 2: mallory out
    for (const u of [b, c, x]) await recv(u);
    // mallory still knows the id: 32 records of her own, far ahead, to bob. Refused, as before step 7.
    await as(x, async (m) => {
      for (let i = 0; i < 32; i++) {
        const members = [{ user: x, admin: true }];
        const junk = {
          gid: fromHex(group.gid),
          version: 10 + i,
          op: 'rename' as const,
          subject: '',
          name: 'x',
          members,
        };
        await m.queueFanout(MessageKind.groupState, encodeGroupRecord(junk), [b], () => {});
      }
    });
    const junk = await recv(b);
    expect(junk.got).toEqual([]);
    expect(junk.rejected).toHaveLength(32);
    // Then the scenario above: alice renames (bob's copy late), carol leaves from it; bob ends where alice is.
    await as(a, (m) => changeGroup(m, 'crew', 'rename', '', 'crew2')); // version 3
    const late = withhold(b);
    await recv(c);
    await as(c, (m) => changeGroup(m, 'crew2', 'leave', '')); // version 4
    expect(await recv(b)).toEqual({ got: [], rejected: [] });
    await as(b, (m) => m.withConnectionFor((conn) => conn.send(b, late.id, late.env)));
    expect((await recv(b)).got).toEqual([`${a} renamed the group to #crew2`, `${c} left`]);
    expect(await membersOf(b, group.gid)).toEqual({ version: 4, name: 'crew2', members: [a, b] });
  });

  it('a kept leave that crossed the one applied before it is merged by the admin (step 6), as in order', async () => {
    const [a, b, c, d] = (await users('alice', 'bob', 'carol', 'dave')) as [string, string, string, string];
    for (const u of [b, c, d]) await as(u, (m) => m.sendMessage(a, 'hi'));
    const { group } = await as(a, (m) => createGroup(m, 'crew', [b, c, d]));
    for (const u of [b, c, d]) await recv(u);
    await as(b, (m) => changeGroup(m, 'crew', 'leave', '')); // version 2
    const late = withhold(a); // alice's copy of bob's leave, late
    await recv(c);
    await recv(d);
    await as(c, (m) => changeGroup(m, 'crew', 'leave', '')); // carol's version 3, from 2
    await as(d, (m) => changeGroup(m, 'crew', 'leave', '')); // dave's version 3, from 2: crosses carol's
    expect(await recv(a)).toEqual({ got: [], rejected: [] }); // both kept
    await as(b, (m) => m.withConnectionFor((conn) => conn.send(a, late.id, late.env)));
    expect((await recv(a)).got).toEqual([`${b} left`, `${c} left`, `${d} left`]);
    expect(await membersOf(a, group.gid)).toEqual({ version: 4, name: 'crew', members: [a] });
    const { result } = await as(a, (m) => sendGroupText(m, 'crew', 'alone now'));
    expect(result.stored).toEqual([]); // dave, who left, is sealed nothing
  });
});
