/**
 * Groups and rooms (PROTOCOL.md §15) through the engine against the real relay in process, real sockets and real SQLite:
 * fan-out delivery, membership changes seen identically by every member (one of them offline throughout), removed
 * members never addressed again, forged changes and non-member messages refused, and rooms.
 */
import {
  MessageKind,
  encodeGroupRecord,
  encodeGroupText,
  encodeMessageAction,
  encodeRoomText,
  fromHex,
  randomMessageId,
} from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { sealAs } from '../../../test/seal-as.js';
import { engineWorld } from '../../../test/engine-fixture.js';
import { groupEvents } from '../../../test/group-receive.js';
import { deleteMessage, editMessage, reactToMessage } from '../actions/send.js';
import { ChatError } from '../errors.js';
import { setTimer } from '../expire/timers.js';
import { until } from '../../../../../test/fixtures/wait.js';
import type { ActionEvent, GroupMessage } from '../events.js';
import type { Messenger, RejectedMessage } from '../messenger.js';
import { changeGroup, createGroup, findGroup, groupConv, sendGroupText } from './groups.js';
import { acceptGroup, declineGroup } from './invitations.js';
import { sendToConversation } from './conversation.js';
import { joinRoom, listRooms, roomMembers, sendRoomText } from './rooms.js';

const world = engineWorld('groups');
const { users, as } = world;

/** One `chat recv`: the group messages and rejections it produced. */
const recv = (user: string): Promise<{ got: GroupMessage[]; rejected: RejectedMessage[] }> =>
  as(user, async (m) => {
    const { got, rejected } = await groupEvents(m);
    return { got, rejected };
  });

/**
 * Seals `body` of `kind` from `m`'s user to each of `to` and sends it as is: how a test forges what the product's
 * send path would refuse to make (a non-admin's record, a fork, a non-member's message, a replay).
 */
function forge(m: Messenger, kind: number, body: Uint8Array, to: string[]): Promise<void> {
  return m.withConnectionFor(async (conn) => {
    for (const user of to) {
      const { id, env } = await sealAs(m, conn, user, { kind, body });
      await conn.send(user, id, env);
    }
  });
}

/** Makes `inviter` a contact of each of `members` (§15.7): each sends it a direct message, so its invitations are accepted. */
async function befriend(inviter: string, ...members: string[]): Promise<void> {
  for (const u of members) await as(u, (m) => m.sendMessage(inviter, 'hi'));
}

const stateOf = (user: string, gid: string) =>
  as(user, async (m) => {
    const g = m.store.groups.get(gid);
    return g && { member: g.member, version: g.record.version, name: g.record.name, members: g.record.members };
  });

describe('groups (§15.3–§15.5)', () => {
  it('a 5-member group: every member gets each message once, in order per sender', async () => {
    const [a, b, c, d, e] = await users('alice', 'bob', 'carol', 'dave', 'erin');
    const all = [a!, b!, c!, d!, e!];
    await befriend(a!, b!, c!, d!, e!);
    const { group } = await as(a!, (m) => createGroup(m, 'team', [b!, c!, d!, e!]));
    for (const u of [b!, c!]) await recv(u); // they learn the group (d and e stay offline until the end)
    for (let i = 1; i <= 3; i++) {
      for (const sender of [a!, b!, c!]) {
        const { result } = await as(sender, (m) => sendGroupText(m, 'team', `${sender} ${i}`));
        expect(result.failed).toEqual([]);
        expect(result.stored.map((s) => s.to).sort()).toEqual(all.filter((u) => u !== sender).sort());
      }
    }
    for (const u of all) {
      const { got, rejected } = await recv(u);
      expect(rejected).toEqual([]);
      const texts = got.filter((x) => x.kind === 'group');
      for (const sender of [a!, b!, c!]) {
        const mine = texts.filter((x) => x.from === sender).map((x) => x.body);
        expect(mine).toEqual(sender === u ? [] : [1, 2, 3].map((i) => `${sender} ${i}`));
      }
      expect(texts.every((x) => x.conv === '#team' && x.gid === group.gid)).toBe(true);
      // Received again: nothing is shown twice.
      expect((await recv(u)).got).toEqual([]);
    }
  });

  it('add, remove, leave and rename converge for every member, including one offline throughout', async () => {
    const [a, b, c, d, e] = await users('alice', 'bob', 'carol', 'dave', 'erin');
    await befriend(a!, b!, c!, d!, e!);
    // Yourself alone is no group (hunt2: naming only yourself made one).
    for (const only of [[], [a!], [a!, a!]])
      await expect(as(a!, (m) => createGroup(m, 'solo', only))).rejects.toMatchObject({ code: 'USAGE' });
    const { group } = await as(a!, (m) => createGroup(m, 'crew', [b!, c!, d!]));
    await recv(b!);
    await recv(c!);
    await as(a!, (m) => changeGroup(m, 'crew', 'add', e!));
    await recv(b!); // bob online between changes
    const removed = await as(a!, (m) => changeGroup(m, 'crew', 'remove', d!));
    expect(removed.result.stored.map((s) => s.to)).toContain(d!); // the removed member is told, once
    await recv(c!);
    await as(c!, (m) => changeGroup(m, 'crew', 'leave', ''));
    await recv(b!);
    await recv(a!); // the admin learns of the leave before its next change (§15.4: changes are made one after another)
    // Renaming to the name it has is refused before anything is published (it went out as a new version: hunt2).
    await expect(as(a!, (m) => changeGroup(m, 'crew', 'rename', '', 'crew'))).rejects.toMatchObject({
      code: 'USAGE',
      message: 'the group is already named #crew: nothing to change',
    });
    await as(a!, (m) => changeGroup(m, 'crew', 'rename', '', 'crew2'));
    // After the removal and the leave, neither dave nor carol is addressed again.
    const { result } = await as(a!, (m) => sendGroupText(m, 'crew2', 'after the changes'));
    expect(result.stored.map((s) => s.to).sort()).toEqual([b!, e!].sort());

    const events: Record<string, string[]> = {};
    for (const u of [b!, c!, d!, e!]) events[u] = (await recv(u)).got.map((x) => `${x.kind}:${x.body}`);
    const expected = await stateOf(a!, group.gid);
    expect(expected).toMatchObject({ member: true, version: 5, name: 'crew2' });
    expect(expected!.members.map((x) => x.user)).toEqual([a!, b!, e!].sort());
    for (const u of [b!, e!]) expect(await stateOf(u, group.gid)).toEqual(expected);
    // The offline member converged to "removed" at the version that removed it, and heard nothing after.
    expect(await stateOf(d!, group.gid)).toMatchObject({ member: false, version: 3 });
    expect(events[d!]).toEqual([
      `event:${a} created #crew with ${[a!, b!, c!, d!].sort().join(', ')}`,
      `event:${a} added ${e}`,
      `event:${a} removed ${d}`,
    ]);
    expect(await stateOf(c!, group.gid)).toMatchObject({ member: false, version: 4 });
    expect(events[e!]).toEqual([
      `event:${a} added ${e}`,
      `event:${a} removed ${d}`,
      `event:${c} left`,
      `event:${a} renamed the group to #crew2`,
      'group:after the changes',
    ]);
    expect(events[b!]!.at(-1)).toBe('group:after the changes');
    // A removed member cannot send to the group any more (its client refuses).
    await expect(as(d!, (m) => sendGroupText(m, group.gid.slice(0, 8), 'still here?'))).rejects.toMatchObject({
      code: 'NO_SUCH_GROUP',
    });
  });

  it('refuses a change forged by a non-admin and a message from a non-member', async () => {
    const [a, b, c, mallory] = await users('alice', 'bob', 'carol', 'mallory');
    await befriend(a!, b!, c!);
    const { group } = await as(a!, (m) => createGroup(m, 'safe', [b!, c!]));
    await recv(b!);
    await recv(c!);
    // bob (a member, not an admin) signs a record adding mallory and sends it to carol.
    const forged = encodeGroupRecord({
      ...group.record,
      version: 2,
      op: 'add',
      subject: mallory!,
      members: [...group.record.members, { user: mallory!, admin: false }],
    });
    await as(b!, (m) => forge(m, MessageKind.groupState, forged, [c!]));
    // mallory, not a member, writes into the group by its id.
    await as(mallory!, (m) => forge(m, MessageKind.groupText, encodeGroupText(fromHex(group.gid), 'let me in'), [c!]));
    // A replayed old record (version 1 again, from the admin) is ignored as stale: not shown, not an error.
    await as(a!, (m) => forge(m, MessageKind.groupState, encodeGroupRecord(group.record), [c!]));
    const { got, rejected } = await recv(c!);
    expect(got).toEqual([]);
    expect(rejected.map((r) => r.code).sort()).toEqual(['GROUP_CHANGE_REFUSED', 'GROUP_NOT_MEMBER']);
    expect((await stateOf(c!, group.gid))!.members.map((x) => x.user)).toEqual([a!, b!, c!].sort());
    // A non-admin's add is refused locally too, before anything is sent.
    await expect(as(b!, (m) => changeGroup(m, 'safe', 'add', mallory!))).rejects.toMatchObject({
      code: 'NOT_GROUP_ADMIN',
    });
    expect(await as(a!, async (m) => findGroup(m, 'safe').record.version)).toBe(1);
  });

  it("refuses a group edit or delete of alice's message forged by another member, and any action from a non-member (§17.3)", async () => {
    const [a, b, c, mallory] = await users('alice', 'bob', 'carol', 'mallory');
    await befriend(a!, b!, c!);
    const { group } = await as(a!, (m) => createGroup(m, 'edits', [b!, c!]));
    await as(a!, (m) => sendGroupText(m, 'edits', 'the plan'));
    await recv(b!);
    await recv(c!);
    const mine = await as(
      c!,
      async (m) => m.store.history.page(groupConv(group.gid), true, 10).find((r) => r.body === 'the plan')!,
    );
    expect(mine.ref).toMatch(/^[0-9a-f]{32}$/);
    const target = { gid: fromHex(group.gid), target: fromHex(mine.ref!) };
    // bob, a member but not the sender, forges an edit and a delete of alice's message; mallory, no member, reacts.
    await as(b!, (m) =>
      forge(
        m,
        MessageKind.groupEdit,
        encodeMessageAction(MessageKind.groupEdit, { op: 'edit', ...target, seq: 1, text: 'hacked' }),
        [c!],
      ),
    );
    await as(b!, (m) =>
      forge(m, MessageKind.groupDelete, encodeMessageAction(MessageKind.groupDelete, { op: 'delete', ...target }), [
        c!,
      ]),
    );
    await as(mallory!, (m) =>
      forge(
        m,
        MessageKind.groupReaction,
        encodeMessageAction(MessageKind.groupReaction, { op: 'reaction', ...target, emoji: '💀' }),
        [c!],
      ),
    );
    // A reaction from bob is his right; an edit naming a reference no message has is kept for it (§17.6).
    await as(b!, (m) =>
      forge(
        m,
        MessageKind.groupReaction,
        encodeMessageAction(MessageKind.groupReaction, { op: 'reaction', ...target, emoji: '👍' }),
        [c!],
      ),
    );
    await as(a!, (m) =>
      forge(
        m,
        MessageKind.groupEdit,
        encodeMessageAction(MessageKind.groupEdit, {
          op: 'edit',
          gid: target.gid,
          target: randomMessageId(),
          seq: 1,
          text: '?',
        }),
        [c!],
      ),
    );
    const { rejected } = await recv(c!);
    expect(rejected.map((r) => r.code)).toEqual(['NOT_AUTHOR', 'NOT_AUTHOR', 'GROUP_NOT_MEMBER']);
    expect(await as(c!, async (m) => m.store.held.counts().actions)).toBe(1);
    const after = await as(c!, async (m) => m.store.history.byId(mine.id));
    expect(after).toMatchObject({ body: 'the plan', editSeq: 0, deleted: false });
    const [row] = await as(c!, async (m) => m.store.history.page(groupConv(group.gid), true, 1));
    expect(row?.reactions).toEqual([{ author: b!, emoji: '👍' }]);
  });
});

// Moved from test/e2e/everyday.test.ts, which keeps the CLI's side (the commands, history pages and search --in).
describe('replies, edits, reactions and deletes in a group (§17)', () => {
  /** One receive: the group messages and the applied actions. */
  const recvActions = (user: string) =>
    as(user, async (m) => {
      const got: GroupMessage[] = [];
      const actions: ActionEvent[] = [];
      m.on('groupMessage', (x) => got.push(x));
      m.on('action', (x) => actions.push(x));
      await m.receive();
      return { got, actions };
    });
  const historyOf = (user: string, gid: string) =>
    as(user, async (m) => m.store.history.page(groupConv(gid), true, 20));

  it('reach every member, each under its own copy id tied by the reference; only the author edits', async () => {
    const [a, b, c] = await users('alice', 'bob', 'carol');
    await befriend(a!, b!, c!);
    const { group } = await as(a!, (m) => createGroup(m, 'team', [b!, c!]));
    await as(a!, (m) => sendGroupText(m, 'team', 'standup at 10'));
    const bobMsg = (await recvActions(b!)).got.find((x) => x.body === 'standup at 10')!;
    await as(b!, (m) => sendGroupText(m, 'team', 'ok', bobMsg.id));
    await as(b!, (m) => reactToMessage(m, bobMsg.id, '👍'));
    await recvActions(a!);
    const aliceMsg = (await historyOf(a!, group.gid)).find((r) => r.body === 'standup at 10')!;
    expect(aliceMsg.reactions).toEqual([{ author: b!, emoji: '👍' }]);
    await as(a!, (m) => editMessage(m, aliceMsg.id, 'standup at 11'));

    const carol = await recvActions(c!);
    const carolMsg = carol.got.find((x) => x.from === a! && x.body === 'standup at 10')!;
    // Every copy of a group message has its own envelope id (fan-out): the reference of §17.2 ties them together.
    expect(carolMsg.id).not.toBe(bobMsg.id);
    expect(carol.got).toContainEqual(expect.objectContaining({ from: b!, body: 'ok', replyTo: carolMsg.id }));
    expect(carol.actions).toContainEqual(
      expect.objectContaining({ type: 'reaction', from: b!, emoji: '👍', target: carolMsg.id }),
    );
    expect(carol.actions).toContainEqual(
      expect.objectContaining({ type: 'edit', from: a!, body: 'standup at 11', target: carolMsg.id }),
    );

    // bob, not the author, cannot edit it.
    const refused = await as(b!, (m) => editMessage(m, bobMsg.id, 'no')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChatError);
    expect((refused as ChatError).code).toBe('NOT_AUTHOR');

    await as(a!, (m) => deleteMessage(m, aliceMsg.id));
    const bobLater = await recvActions(b!);
    expect(bobLater.actions).toContainEqual(
      expect.objectContaining({ type: 'edit', target: bobMsg.id, body: 'standup at 11' }),
    );
    expect(bobLater.actions).toContainEqual(expect.objectContaining({ type: 'delete', target: bobMsg.id }));
    const bobHistory = await historyOf(b!, group.gid);
    expect(bobHistory.find((r) => r.id === bobMsg.id)).toMatchObject({ deleted: true, body: '' });
    expect(bobHistory.find((r) => r.body === 'ok')).toMatchObject({ replyTo: bobMsg.id, sender: b! });
  });
});

// Moved from test/e2e/expire.test.ts, which keeps the CLI's side (the refusal's exit code, the event and the line).
describe('disappearing messages in a group (§17.5)', () => {
  it("members apply the admin's timer: a group message expires from a member's history too", async () => {
    const [a, b] = await users('alice', 'bob');
    await befriend(a!, b!);
    const { group } = await as(a!, (m) => createGroup(m, 'crew', [b!]));
    await recv(b!);
    const refused = await as(b!, (m) => setTimer(m, '#crew', 3600)).catch((e: unknown) => e);
    expect((refused as ChatError).code).toBe('NOT_GROUP_ADMIN');
    await as(a!, (m) => setTimer(m, '#crew', 1));
    await as(a!, (m) => sendGroupText(m, 'crew', 'group secret'));
    await recv(b!);
    await as(b!, async (m) => {
      expect(m.store.timers.get(groupConv(group.gid))).toMatchObject({ seconds: 1, setBy: a! });
      const row = m.store.history.page(groupConv(group.gid), true, 10).find((r) => r.body === 'group secret');
      expect(row).toBeDefined();
      // The row's own expiry (commit time + 1 s) is what the sweep waits for; no sleep, no wall-clock bound.
      await until(() => {
        m.store.timers.sweep(Date.now());
        return m.store.history.byId(row!.id) === undefined;
      }, 'the group message expired');
    });
  });
});

/** A record for `gid` as a forger writes it: any version, any members, the forger as admin. */
function forgedRecord(
  gid: Uint8Array,
  version: number,
  op: 'create' | 'add',
  subject: string,
  admin: string,
  others: string[],
) {
  const members = [...new Set([admin, ...others])].sort().map((user) => ({ user, admin: user === admin }));
  return encodeGroupRecord({ gid, version, op, subject, name: 'club', members });
}

const shown = (r: { got: GroupMessage[] }) => r.got.map((x) => `${x.kind} ${x.from}`);

describe('no first-come group invitations (§15.1 bound ids, §15.4 competing invitations)', () => {
  it("a forged create for a group's id, at any version, is refused; the creator's invitation gets in", async () => {
    const [a, mallory, v] = await users('alice', 'mallory', 'vic');
    await befriend(a!, mallory!, v!);
    await befriend(mallory!, v!); // mallory is vic's contact too: her invitations would be taken at once
    const { group } = await as(a!, (m) => createGroup(m, 'club', [mallory!]));
    await recv(mallory!); // mallory learns the id
    const gid = group.record.gid;
    for (const version of [1, 0xffff_ffff]) {
      const create = forgedRecord(gid, version, 'create', '', mallory!, [a!, v!]);
      await as(mallory!, (m) => forge(m, MessageKind.groupState, create, [v!]));
    }
    const forged = await recv(v!);
    expect(forged.got).toEqual([]);
    expect(forged.rejected.map((r) => r.code)).toEqual(['GROUP_CHANGE_REFUSED', 'GROUP_CHANGE_REFUSED']);
    expect(await stateOf(v!, group.gid)).toBeUndefined();
    // The creator's invitation is taken (from a contact, in a group she provably created), and her texts reach vic.
    await as(a!, (m) => changeGroup(m, 'club', 'add', v!));
    await as(a!, (m) => sendGroupText(m, 'club', 'welcome'));
    const real = await recv(v!);
    expect(real.rejected).toEqual([]);
    expect(real.got.map((x) => `${x.kind}:${x.body}`)).toEqual([`event:${a} added ${v}`, 'group:welcome']);
    // Now in the real group, vic gets mallory's version as a competing invitation; answering it needs her name.
    const fork = forgedRecord(gid, 7, 'add', v!, mallory!, [a!, v!]);
    await as(mallory!, (m) => forge(m, MessageKind.groupState, fork, [v!]));
    expect(shown(await recv(v!))).toEqual([`invite ${mallory}`]);
    await expect(as(v!, async (m) => declineGroup(m, group.gid.slice(0, 8)))).rejects.toMatchObject({
      code: 'NO_SUCH_GROUP',
      message: expect.stringContaining(`${mallory} also invited you`),
      hint: expect.stringContaining(`--from ${mallory}`),
    });
    await as(v!, async (m) => declineGroup(m, group.gid.slice(0, 8), mallory!));
    expect(await as(v!, async (m) => m.store.groups.invitations(group.gid))).toEqual([]);
    expect(await stateOf(v!, group.gid)).toMatchObject({ member: true, version: 2 });
  });

  it("a forged add naming a member admin is only an invitation, and the creator's later one competes with it", async () => {
    const [a, mallory, v] = await users('alice', 'mallory', 'vic');
    await befriend(a!, mallory!, v!);
    await befriend(mallory!, v!);
    const { group } = await as(a!, (m) => createGroup(m, 'club', [mallory!]));
    await recv(mallory!);
    const fork = forgedRecord(group.record.gid, 0xffff_fff0, 'add', v!, mallory!, [a!, v!]);
    await as(mallory!, (m) => forge(m, MessageKind.groupState, fork, [v!]));
    // From a contact, but not from the group's creator: it waits for vic, whose notice says so.
    const first = await recv(v!);
    expect(shown(first)).toEqual([`invite ${mallory}`]);
    expect(first.got[0]!.body).toContain(`its id does not show that ${mallory} created it`);
    expect(await as(v!, async (m) => m.store.groups.get(group.gid)?.invitedBy)).toBe(mallory);
    // The real admin's invitation is not stale: it is kept beside the first, and vic is told.
    await as(a!, (m) => changeGroup(m, 'club', 'add', v!));
    const second = await recv(v!);
    expect(second.rejected).toEqual([]);
    expect(shown(second)).toEqual([`invite ${a}`]);
    expect(second.got[0]).toMatchObject({ competing: true, body: expect.stringContaining('also invited you') });
    // A later change by alice follows from her invitation, not from mallory's version: it keeps the invitation current.
    await as(a!, (m) => changeGroup(m, 'club', 'rename', '', 'club2'));
    expect(await recv(v!)).toEqual({ got: [], rejected: [] });
    // vic takes alice's; mallory's fork is forgotten, and the group is the real one.
    await as(v!, async (m) => acceptGroup(m, `group:${group.gid}`, a!));
    expect(await stateOf(v!, group.gid)).toMatchObject({ member: true, version: 3, name: 'club2' });
    expect(await as(v!, async (m) => m.store.groups.invitations(group.gid))).toEqual([]);
    await as(a!, (m) => sendGroupText(m, 'club2', 'welcome'));
    expect((await recv(v!)).got.map((x) => `${x.kind}:${x.body}`)).toEqual(['group:welcome']);
  });

  it('an admin who left since cannot re-invite a departed member into a fork ahead of the real admin', async () => {
    const [a, b, c, d] = await users('alice', 'bob', 'carol', 'dave');
    await befriend(a!, b!, c!, d!);
    await befriend(c!, b!);
    const { group } = await as(a!, (m) => createGroup(m, 'club', [b!, c!, d!]));
    for (const u of [b!, c!, d!]) await recv(u);
    await as(b!, (m) => changeGroup(m, 'club', 'leave', '')); // bob is out at version 2, alice its admin
    await recv(b!);
    await recv(a!);
    await as(a!, (m) => changeGroup(m, 'club', 'leave', '')); // version 3: carol, first in byte order, is admin now
    await recv(c!);
    expect((await stateOf(c!, group.gid))!.members).toEqual([
      { user: c!, admin: true },
      { user: d!, admin: false },
    ]);
    // alice, admin of the last state bob saw, "re-invites" him into her own version of the group.
    const fork = forgedRecord(group.record.gid, 1000, 'add', b!, a!, [b!, c!, d!]);
    await as(a!, (m) => forge(m, MessageKind.groupState, fork, [b!]));
    const forked = await recv(b!);
    expect(shown(forked)).toEqual([`invite ${a}`]); // a re-invitation always asks: bob cannot know who is admin now
    expect(await stateOf(b!, group.gid)).toMatchObject({ member: true, version: 1000 });
    // carol's real re-invitation is not refused as stale: it competes, and bob takes it.
    await as(c!, (m) => changeGroup(m, 'club', 'add', b!));
    const real = await recv(b!);
    expect(real.rejected).toEqual([]);
    expect(shown(real)).toEqual([`invite ${c}`]);
    await as(b!, async (m) => acceptGroup(m, group.gid.slice(0, 8), c!));
    expect(await stateOf(b!, group.gid)).toMatchObject({ member: true, version: 4 });
    await as(c!, (m) => sendGroupText(m, 'club', 'welcome back'));
    expect((await recv(b!)).got.map((x) => `${x.kind}:${x.body}`)).toEqual(['group:welcome back']);
  });

  it('a re-invitation by a member who was never admin is an invitation too, and the real one still gets in', async () => {
    const [a, b, c] = await users('alice', 'bob', 'carol');
    await befriend(a!, b!, c!);
    const { group } = await as(a!, (m) => createGroup(m, 'club', [b!, c!]));
    await recv(b!);
    await recv(c!);
    await as(a!, (m) => changeGroup(m, 'club', 'remove', b!));
    await recv(b!); // bob is out, at version 2
    await recv(c!);
    const fork = forgedRecord(group.record.gid, 3, 'add', b!, c!, [a!, b!]);
    await as(c!, (m) => forge(m, MessageKind.groupState, fork, [b!]));
    expect(shown(await recv(b!))).toEqual([`invite ${c}`]);
    await as(a!, (m) => changeGroup(m, 'club', 'add', b!));
    await as(a!, (m) => sendGroupText(m, 'club', 'welcome back'));
    const back = await recv(b!);
    expect(shown(back)).toEqual([`invite ${a}`]); // competing; her text waits (bob is in carol's version for now)
    await as(b!, async (m) => acceptGroup(m, `group:${group.gid}`, a!));
    await as(a!, (m) => sendGroupText(m, 'club', 'really'));
    expect((await recv(b!)).got.map((x) => `${x.kind}:${x.body}`)).toEqual(['group:really']);
  });
});

describe('invitation consent and names (§15.7)', () => {
  it("a stranger's group named like a joined room does not capture #general: the room gets the message", async () => {
    const [a, b, mallory] = await users('alice', 'bob', 'mallory');
    await as(a!, (m) => joinRoom(m, 'general'));
    await as(b!, (m) => joinRoom(m, 'general'));
    await as(mallory!, (m) => createGroup(m, 'general', [b!]));
    await recv(b!);
    const { to } = await as(b!, (m) => sendToConversation(m, '#general', 'for the room'));
    expect(to).toBe('#general');
    expect((await recv(a!)).got.map((x) => `${x.kind} ${x.conv} ${x.from}: ${x.body}`)).toEqual([
      `room #general ${b}: for the room`,
    ]);
    expect((await recv(mallory!)).got).toEqual([]);
  });

  it('an invitation from a non-contact is pending: shown once, nothing of the group until accepted; decline forgets', async () => {
    const [a, b, c] = await users('alice', 'bob', 'carol');
    const { group } = await as(a!, (m) => createGroup(m, 'club', [b!, c!]));
    await as(a!, (m) => sendGroupText(m, 'club', 'while you were invited'));
    const first = await recv(b!);
    expect(first.rejected).toEqual([]);
    expect(first.got.map((x) => `${x.kind} ${x.conv} ${x.from}`)).toEqual([`invite #club ${a}`]);
    expect(await as(b!, async (m) => m.store.groups.get(group.gid)?.invitedBy)).toBe(a);
    // A pending group takes no name and cannot be written to; later texts are held, not shown.
    await expect(as(b!, (m) => sendGroupText(m, 'club', 'x'))).rejects.toMatchObject({ code: 'GROUP_PENDING' });
    await expect(as(b!, (m) => sendToConversation(m, '#club', 'x'))).rejects.toMatchObject({ code: 'GROUP_PENDING' });
    await as(a!, (m) => sendGroupText(m, 'club', 'still invited'));
    expect(await recv(b!)).toEqual({ got: [], rejected: [] });
    // Accepted: what was held is in the group's history, and from now on it is an ordinary group.
    await as(b!, async (m) => acceptGroup(m, group.gid.slice(0, 8)));
    expect(await as(b!, async (m) => m.store.groups.messages(groupConv(group.gid)).map((x) => x.body))).toEqual([
      `${a} created #club with ${[a!, b!, c!].sort().join(', ')}`,
      'while you were invited',
      'still invited',
    ]);
    await as(a!, (m) => sendGroupText(m, 'club', 'welcome'));
    expect((await recv(b!)).got.map((x) => `${x.kind}:${x.body}`)).toEqual(['group:welcome']);
    expect((await as(b!, (m) => sendToConversation(m, '#club', 'thanks'))).to).toBe('#club');
    // carol declines: the group and everything held for it are gone, and nothing was sent to anyone.
    await recv(c!);
    await as(c!, async (m) => declineGroup(m, `group:${group.gid}`));
    expect(
      await as(c!, async (m) => [m.store.groups.get(group.gid), m.store.groups.messages(groupConv(group.gid))]),
    ).toEqual([undefined, []]);
    expect((await recv(a!)).got.map((x) => `${x.from}:${x.body}`)).toEqual([`${b}:thanks`]);
  });

  it('an invitation from a contact (someone we sent a direct message to) is accepted at once', async () => {
    const [a, b] = await users('alice', 'bob');
    await befriend(a!, b!);
    const { group } = await as(a!, (m) => createGroup(m, 'pals', [b!]));
    expect((await recv(b!)).got.map((x) => x.kind)).toEqual(['event']);
    expect(await as(b!, async (m) => m.store.groups.get(group.gid)?.invitedBy)).toBeUndefined();
  });

  it('two groups with one name: #name is refused with both ids; group:<id> and an 8-digit id prefix choose', async () => {
    const [a, b] = await users('alice', 'bob');
    const one = (await as(a!, (m) => createGroup(m, 'team', [b!]))).group;
    const two = (await as(a!, (m) => createGroup(m, 'team', [b!]))).group;
    const err = await as(a!, (m) => sendToConversation(m, '#team', 'which?')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AMBIGUOUS_NAME' });
    expect((err as Error).message).toContain(`group:${one.gid}`);
    expect((err as Error).message).toContain(`group:${two.gid}`);
    await as(a!, (m) => joinRoom(m, 'general'));
    await as(a!, (m) => changeGroup(m, `group:${one.gid}`, 'rename', '', 'general'));
    // A group and a joined room with one name: refused too, naming both; room:<name> chooses the room.
    await expect(as(a!, (m) => sendToConversation(m, '#general', 'x'))).rejects.toMatchObject({
      code: 'AMBIGUOUS_NAME',
      message: expect.stringContaining('room:general'),
    });
    expect((await as(a!, (m) => sendToConversation(m, 'room:general', 'to the room'))).to).toBe('#general');
    expect((await as(a!, (m) => sendToConversation(m, `group:${two.gid.slice(0, 8)}`, 'to two'))).to).toBe('#team');
    expect((await as(a!, (m) => sendToConversation(m, `#${one.gid.slice(0, 8)}`, 'to one'))).to).toBe('#general');
    await expect(as(a!, (m) => sendToConversation(m, 'group:abc', 'x'))).rejects.toMatchObject({ code: 'USAGE' });
    // bob sees two invitations and nothing else; neither takes #team for him.
    expect((await recv(b!)).got.map((x) => `${x.kind} ${x.gid}`).sort()).toEqual(
      [`invite ${one.gid}`, `invite ${two.gid}`].sort(),
    );
    await expect(as(b!, (m) => sendToConversation(m, '#team', 'x'))).rejects.toMatchObject({ code: 'GROUP_PENDING' });
  });
});

describe('public rooms (§15.6)', () => {
  it('two users talk in #general; a third joiner receives only what is sent after it joined', async () => {
    const [a, b, c] = await users('alice', 'bob', 'carol');
    expect(await as(a!, (m) => listRooms(m))).toContain('general');
    await as(a!, (m) => joinRoom(m, '#general'));
    await as(b!, (m) => joinRoom(m, 'general'));
    await as(a!, (m) => sendRoomText(m, 'general', 'hi bob'));
    await as(b!, (m) => sendRoomText(m, 'general', 'hi alice'));
    expect((await recv(b!)).got.map((x) => `${x.conv} ${x.from}: ${x.body}`)).toEqual([`#general ${a}: hi bob`]);
    expect((await recv(a!)).got.map((x) => `${x.conv} ${x.from}: ${x.body}`)).toEqual([`#general ${b}: hi alice`]);
    const members = await as(c!, (m) => joinRoom(m, 'general'));
    expect(members).toEqual(expect.arrayContaining([a!, b!, c!]));
    await as(a!, (m) => sendRoomText(m, 'general', 'welcome carol'));
    expect((await recv(c!)).got.map((x) => x.body)).toEqual(['welcome carol']);
    expect((await recv(b!)).got.map((x) => x.body)).toEqual(['welcome carol']);
    expect(await as(c!, (m) => roomMembers(m, 'general'))).toContain(c!);
  });

  it('refuses to send to a room one has not joined, and drops room messages for a room one has not joined', async () => {
    const [a, b] = await users('alice', 'bob');
    await expect(as(a!, (m) => sendRoomText(m, 'general', 'x'))).rejects.toMatchObject({ code: 'NOT_IN_ROOM' });
    await as(a!, (m) => forge(m, MessageKind.roomText, encodeRoomText('general', 'psst'), [b!]));
    const { got, rejected } = await recv(b!);
    expect(got).toEqual([]);
    expect(rejected.map((r) => r.code)).toEqual(['ROOM_NOT_JOINED']);
  });
});
