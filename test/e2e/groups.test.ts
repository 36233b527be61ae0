/** Groups and #general through the built `chat` against a relay in the test process (PROTOCOL.md §15). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageKind, encodeGroupRecord, fromHex, randomMessageId, sealEnvelope } from '@chat/crypto';
import { Messenger } from '../../packages/cli/src/engine/messenger.js';
import { makeUser } from '../../packages/cli/test/helpers.js';
import { chat, jsonLines, newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';

const strip = (out: string) =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\[[^\]]+\] /, ''));

describe('chat group / chat join', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  const home: Record<string, string> = {};

  beforeAll(async () => {
    t = tempDir('e2e-groups');
    relay = await relayInProcess(`${t.dir}/relay`);
    for (const u of ['alice', 'bob', 'carol']) home[u] = await newUser(t.dir, u, relay);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('creates a group, talks in it, removes a member who then hears nothing more', async () => {
    // bob and carol have written to alice: she is their contact, so her group needs no consent (§15.7).
    for (const u of ['bob', 'carol']) expect((await chat(['send', 'alice', 'hi'], { home: home[u]! })).code).toBe(0);
    const c = await chat(['group', 'create', 'team', 'bob', 'carol'], { home: home.alice! });
    expect(c).toMatchObject({ code: 0, stderr: '' });
    expect(c.stdout).toContain('#team');
    expect(c.stdout).toContain('  alice (admin)');
    expect((await chat(['send', '#team', 'hello', 'team'], { home: home.alice! })).stdout).toBe(
      'sent to #team (2 members)\n',
    );
    // Forgetting the '#': the error names the group and the command that reaches it (issue 15).
    const slip = await chat(['send', 'team', 'hello'], { home: home.alice! });
    expect(slip.code).toBe(3);
    expect(slip.stderr).toContain("chat: hint: team is a group of yours: chat send '#team' <message>");
    // Too long for a message: the hint says what to do instead (to a user: send it as a file).
    const long = await chat(['send', '#team', 'x'.repeat(60_001)], { home: home.alice! });
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('chat: hint: split it into messages of at most 60000 bytes');
    const longToBob = await chat(['send', 'bob', 'x'.repeat(60_001)], { home: home.alice! });
    expect(longToBob.code).toBe(2);
    expect(longToBob.stderr).toContain('chat: hint: send it as a file instead: chat send-file bob <file>');
    const b = await chat(['recv'], { home: home.bob! });
    expect(b).toMatchObject({ code: 0, stderr: '' });
    expect(strip(b.stdout)).toEqual(['#team * alice created #team with alice, bob, carol', '#team alice: hello team']);
    expect((await chat(['send', '#team', 'hi from bob'], { home: home.bob! })).code).toBe(0);

    expect((await chat(['group', 'remove', 'team', 'carol'], { home: home.alice! })).code).toBe(0);
    expect((await chat(['send', '#team', 'carol is gone'], { home: home.alice! })).stdout).toBe(
      'sent to #team (1 members)\n',
    );
    const cr = await chat(['recv'], { home: home.carol! });
    expect(strip(cr.stdout)).toEqual([
      '#team * alice created #team with alice, bob, carol',
      '#team alice: hello team',
      '#team bob: hi from bob',
      '#team * alice removed carol',
    ]);
    // Carol can no longer write to it; her client says so (exit 3).
    const cs = await chat(['send', '#team', 'hello?'], { home: home.carol! });
    expect(cs.code).toBe(3);
    expect(cs.stderr).toMatch(/^chat: error: .*no longer a member/m);
    const members = await chat(['group', 'members', '--json', 'team'], { home: home.bob! });
    expect(members.code).toBe(0); // bob has not received the removal yet: still version 1 for him
    await chat(['recv'], { home: home.bob! });
    const [g] = jsonLines<{ version: number; members: { user: string }[] }>(
      (await chat(['group', 'members', '--json', 'team'], { home: home.bob! })).stdout,
    );
    expect(g).toMatchObject({ version: 2, members: [{ user: 'alice' }, { user: 'bob' }] });
    expect((await chat(['groups'], { home: home.alice! })).stdout).toMatch(/^#team {2}[0-9a-f]{8} {2}2 members\n$/);
  });

  it('#general: a third joiner receives only what was sent after it joined', async () => {
    expect((await chat(['rooms'], { home: home.alice! })).stdout).toBe('#general\n');
    expect((await chat(['join', 'general'], { home: home.alice! })).stdout).toBe('joined #general (1 members)\n');
    expect((await chat(['join', '#general'], { home: home.bob! })).code).toBe(0);
    expect((await chat(['send', '#general', 'before carol'], { home: home.alice! })).code).toBe(0);
    expect(strip((await chat(['recv'], { home: home.bob! })).stdout)).toEqual(['#general alice: before carol']);
    expect((await chat(['join', 'general'], { home: home.carol! })).stdout).toBe('joined #general (3 members)\n');
    expect((await chat(['send', '#general', 'after carol'], { home: home.bob! })).stdout).toBe(
      'sent to #general (2 members)\n',
    );
    expect(strip((await chat(['recv'], { home: home.carol! })).stdout)).toEqual(['#general bob: after carol']);
    expect((await chat(['leave', 'general'], { home: home.carol! })).code).toBe(0);
    expect((await chat(['rooms'], { home: home.carol! })).stdout).toBe('#general\n');
    const unknown = await chat(['join', 'secret'], { home: home.carol! });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/UNKNOWN_ROOM|no room/);
  });

  it("a stranger's group is an invitation: it does not capture #general, is accepted or declined, and is addressed by id", async () => {
    const dave = await newUser(t.dir, 'dave', relay);
    expect((await chat(['join', 'general'], { home: dave })).code).toBe(0);
    expect((await chat(['group', 'create', 'general', 'dave'], { home: home.carol! })).code).toBe(0);
    expect((await chat(['send', '#general', 'held for dave'], { home: home.carol! })).code).toBe(0);
    const r = await chat(['recv'], { home: dave });
    expect(strip(r.stdout)).toEqual([
      expect.stringMatching(/^#general \* carol invited you to #general \(([0-9a-f]{8})\); accept or decline it$/),
    ]);
    expect(r.stderr).toMatch(/^chat: hint: chat group accept [0-9a-f]{8}/m);
    const g = jsonLines<{ id: string; pending?: boolean; invitedBy?: string }[]>(
      (await chat(['groups', '--json'], { home: dave })).stdout,
    )[0]![0];
    expect(g).toMatchObject({ pending: true, invitedBy: 'carol' });
    expect((await chat(['groups'], { home: dave })).stdout).toMatch(
      /^#general {2}[0-9a-f]{8} {2}2 members {2}\(invited by carol\)\n$/,
    );
    expect((await chat(['group', 'members', 'general'], { home: dave })).stdout).toMatch(
      /^#general \([0-9a-f]{8}, version 1\) — an invitation from carol\n {2}carol \(admin\)\n {2}dave\n$/,
    );
    // #general is still dave's room: the stranger's group does not capture it.
    expect((await chat(['send', '#general', 'to the room'], { home: dave })).stdout).toMatch(
      /^sent to #general \(\d+ members\)\n$/,
    );
    const accepted = await chat(['group', 'accept', g!.id.slice(0, 8)], { home: dave });
    expect(accepted.stdout).toBe(`#general (${g!.id.slice(0, 8)}): accepted\n`);
    // Now a group and a joined room share the name: refused, naming both ways to choose.
    const amb = await chat(['send', '#general', 'which?'], { home: dave });
    expect(amb.code).toBe(2);
    expect(amb.stderr).toContain(`group:${g!.id}`);
    expect(amb.stderr).toContain('room:general');
    expect((await chat(['send', `group:${g!.id.slice(0, 8)}`, 'to the group'], { home: dave })).stdout).toBe(
      'sent to #general (1 members)\n',
    );
    expect((await chat(['send', 'room:general', 'to the room again'], { home: dave })).code).toBe(0);
    // A second invitation, declined: forgotten locally, nobody told.
    expect((await chat(['group', 'create', 'spam', 'dave'], { home: home.carol! })).code).toBe(0);
    await chat(['recv'], { home: dave });
    expect((await chat(['group', 'decline', 'spam'], { home: dave })).stdout).toMatch(
      /^#spam \([0-9a-f]{8}\): declined and forgotten\n$/,
    );
    expect(
      jsonLines<{ name: string }[]>((await chat(['groups', '--json'], { home: dave })).stdout)[0]!.map((x) => x.name),
    ).toEqual(['general']);
  });

  it("a member's forged version of a group does not shut out the admin's invitation: both are listed, --from chooses", async () => {
    const vic = await newUser(t.dir, 'vic', relay);
    // mallory is a hostile client (engine, in this process) and a member of carol's group: she knows its id.
    const { profile } = await makeUser(t.dir, 'mallory', relay.address);
    expect((await chat(['group', 'create', 'club', 'mallory'], { home: home.carol! })).code).toBe(0);
    const m = await Messenger.open(profile);
    try {
      await m.receive();
      const gid = m.store.groups.list().find((g) => g.record.name === 'club')!.gid;
      const members = ['carol', 'mallory', 'vic'].map((user) => ({ user, admin: user === 'mallory' }));
      const fork = encodeGroupRecord({
        gid: fromHex(gid),
        version: 4e9,
        op: 'add',
        subject: 'vic',
        name: 'club',
        members,
      });
      await m.withConnectionFor(async (conn) => {
        const to = await m.lookupAndPin('vic', conn);
        const id = randomMessageId();
        const fields = { kind: MessageKind.groupState, from: 'mallory', to: 'vic', id, ts: Date.now(), body: fork };
        await conn.send('vic', id, sealEnvelope(fields, m.identity.identity.secretKey, to.encryptionPublicKey));
      });
      const id8 = gid.slice(0, 8);
      const first = await chat(['recv'], { home: vic });
      expect(strip(first.stdout)).toEqual([
        `#club * mallory invited you to #club (${id8}); its id does not show that mallory created it; accept or decline it`,
      ]);
      // carol, the group's creator and admin, invites vic: not ignored as stale, but offered beside mallory's.
      expect((await chat(['group', 'add', 'club', 'vic'], { home: home.carol! })).code).toBe(0);
      const second = await chat(['recv'], { home: vic });
      expect(strip(second.stdout)).toEqual([
        `#club * carol also invited you to #club (${id8}), in a version that does not agree with yours; accept it to take it instead, or decline it`,
      ]);
      expect(second.stderr).toContain(`chat: hint: chat group accept ${id8} --from carol to take this version instead`);
      expect((await chat(['groups'], { home: vic })).stdout).toBe(
        `#club  ${id8}  3 members  (invited by mallory)\n#club  ${id8}  3 members  (also invited by carol)\n`,
      );
      expect((await chat(['group', 'accept', id8, '--from', 'carol'], { home: vic })).stdout).toBe(
        `#club (${id8}): accepted\n`,
      );
      expect(jsonLines<{ invitedBy?: string }[]>((await chat(['groups', '--json'], { home: vic })).stdout)[0]).toEqual([
        expect.objectContaining({ id: gid, version: 2, member: true }),
      ]);
      expect((await chat(['send', '#club', 'hi vic'], { home: home.carol! })).code).toBe(0);
      expect(strip((await chat(['recv'], { home: vic })).stdout)).toEqual(['#club carol: hi vic']);
    } finally {
      m.close();
    }
  });
});
