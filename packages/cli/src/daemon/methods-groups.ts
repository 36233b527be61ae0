/**
 * Groups and rooms (docs/JSONRPC.md, "Groups and rooms"; PROTOCOL.md §15): `listGroups`, `updateGroup` (create, add,
 * remove, rename, timer), `quitGroup`, `acceptGroup` / `declineGroup` (invitations), `listRooms`, `joinRoom`,
 * `leaveRoom`, `listRoomMembers`. The engine functions of `chat group`, `chat groups`, `chat rooms`, `chat join|leave`.
 */
import { MAX_TIMER_SECONDS } from '@chat/crypto';
import { ChatError } from '../engine/errors.js';
import type { GroupsContext } from '../engine/context.js';
import type { FanoutResult } from '../engine/events.js';
import { setTimer, type TimerContext } from '../engine/expire/timers.js';
import {
  acceptGroup,
  changeGroup,
  createGroup,
  declineGroup,
  findGroup,
  joinRoom,
  leaveRoom,
  listRooms,
  roomMembers,
  type StoredGroup,
} from '../engine/groups/index.js';
import type { Register } from './register.js';
import { groupIdParam, intParam, optionalString, stringList, stringParam, type Params } from './params.js';
import { groupInfo, groupList } from './results.js';

export function registerGroupMethods(method: Register<GroupsContext & TimerContext>): void {
  method('listGroups', ({ engine }, p) => {
    if (p.groupId === undefined) return groupList(engine.store);
    const ref = groupIdParam(p);
    try {
      return [groupInfo(findGroup(engine, ref))];
    } catch (err) {
      // An invitation may be looked at before deciding (§15.7), as `chat group members` does.
      if (err instanceof ChatError && err.code === 'GROUP_PENDING') return [groupInfo(findGroup(engine, ref, true))];
      throw err;
    }
  });
  method('updateGroup', ({ engine }, p) => (p.groupId === undefined ? create(engine, p) : update(engine, p)));
  method('quitGroup', async ({ engine }, p) =>
    answer(await changeGroup(engine, `group:${groupIdParam(p)}`, 'leave', '')),
  );
  method('acceptGroup', ({ engine }, p) => groupInfo(acceptGroup(engine, groupIdParam(p), optionalString(p, 'from'))));
  method('declineGroup', ({ engine }, p) =>
    groupInfo(declineGroup(engine, groupIdParam(p), optionalString(p, 'from'))),
  );

  method('listRooms', async ({ engine }) => {
    const names = await listRooms(engine);
    const joined = new Set(engine.store.groups.joinedRooms());
    return names.map((name) => ({ name, joined: joined.has(name) }));
  });
  const room = (name: string, f: (m: GroupsContext, room: string) => Promise<string[]>): void =>
    method(name, async ({ engine }, p) => {
      const r = stringParam(p, 'room');
      return { room: r.replace(/^#/, ''), members: await f(engine, r) };
    });
  room('joinRoom', joinRoom);
  room('leaveRoom', leaveRoom);
  room('listRoomMembers', roomMembers);
}

type Change = { group: StoredGroup; result: FanoutResult };

function answer(c: Change, failed: FanoutResult['failed'] = c.result.failed) {
  return { ...groupInfo(c.group), failed };
}

/** `chat group create <name> <user...>`: signal-cli's `updateGroup` without `groupId`. */
async function create(m: GroupsContext, p: Params) {
  const members = stringList(p, 'member') ?? [];
  if (members.length === 0)
    throw new ChatError('USAGE', 'a group needs at least one other member', { hint: 'params.member: ["bob"]' });
  for (const x of ['removeMember', 'expiration'])
    if (p[x] !== undefined) throw new ChatError('USAGE', `params.${x} is for a group that exists (params.groupId)`);
  return answer(await createGroup(m, stringParam(p, 'name').replace(/^#/, ''), members));
}

/**
 * A change to a group, in this order: rename (`name`), add (`member`), remove (`removeMember`), timer (`expiration`,
 * seconds, 0 off). Each is one signed change (§15.2), as one `chat group …` / `chat expire` command; the first that
 * fails stops the rest (those before it are done: the error says which).
 */
async function update(m: GroupsContext & TimerContext, p: Params) {
  const ref = `group:${groupIdParam(p)}`;
  const name = optionalString(p, 'name');
  const add = stringList(p, 'member') ?? [];
  const remove = stringList(p, 'removeMember') ?? [];
  const expiration = intParam(p, 'expiration', 0, MAX_TIMER_SECONDS);
  if (name === undefined && add.length + remove.length === 0 && expiration === undefined)
    throw new ChatError('USAGE', 'nothing to change: give params.name, member, removeMember or expiration');
  const failed: FanoutResult['failed'] = [];
  const steps: (readonly [string, () => Promise<FanoutResult | undefined>])[] = [
    ...(name === undefined
      ? []
      : [[`renamed it to ${name}`, () => changed(changeGroup(m, ref, 'rename', '', name.replace(/^#/, '')))] as const]),
    ...add.map((u) => [`added ${u}`, () => changed(changeGroup(m, ref, 'add', u))] as const),
    ...remove.map((u) => [`removed ${u}`, () => changed(changeGroup(m, ref, 'remove', u))] as const),
    ...(expiration === undefined
      ? []
      : [['set its timer', async () => (await setTimer(m, ref, expiration)).result] as const]),
  ];
  // One change after another (§15.4): a step that fails leaves those before it done, and the error says which, so a
  // retry sends only the rest (an answer that said only UNKNOWN_USER hid that bob was added: hunt2).
  const done: string[] = [];
  for (const [what, step] of steps) {
    try {
      failed.push(...((await step())?.failed ?? []));
    } catch (err) {
      if (!(err instanceof ChatError) || done.length === 0) throw err;
      throw new ChatError(err.code, `${err.message} (done before it: ${done.join(', ')})`, {
        hint: err.hint ?? 'send again only what is not done yet',
        cause: err,
      });
    }
    done.push(what);
  }
  return { ...groupInfo(findGroup(m, ref)), failed };
}

async function changed(c: Promise<Change>): Promise<FanoutResult> {
  return (await c).result;
}
