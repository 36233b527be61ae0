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
import { changeGroup, createGroup } from './groups.js';

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
});
