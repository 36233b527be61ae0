/**
 * `chat group create|add|remove|leave|rename|members`, `chat groups`, `chat rooms`, `chat join`, `chat leave`
 * (PROTOCOL.md §15). Group changes are signed and fanned out to the members; rooms live on the relay.
 */
import { ChatError } from '../engine/errors.js';
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
  type FanoutResult,
  type StoredGroup,
} from '../engine/groups/index.js';
import type { Messenger } from '../engine/messenger.js';
import { openMessenger } from './common.js';
import { groupInfo, groupList } from '../daemon/results.js';
import { inertLine } from '../terminal-text.js';
import { printJson, warn, type Io } from './io.js';

async function withMessenger<T>(io: Io, f: (m: Messenger) => Promise<T>): Promise<T> {
  const m = await openMessenger(io);
  try {
    return await f(m);
  } finally {
    m.close();
  }
}

function pendingToo(m: Messenger, ref: string): StoredGroup {
  try {
    return findGroup(m, ref);
  } catch (err) {
    if (err instanceof ChatError && err.code === 'GROUP_PENDING') return findGroup(m, ref, true);
    throw err;
  }
}

/** The same object the daemon's `listGroups` and `updateGroup` answer with (daemon/results.ts). */
const groupJson = groupInfo;

/** Warns about members the relay refused (or whose key changed); they did not get this. */
function reportFailures(io: Io, r: FanoutResult): void {
  for (const f of r.failed) warn(io, `not delivered to ${f.to}: ${f.code}`);
}

export interface GroupArgs {
  action: 'create' | 'add' | 'remove' | 'leave' | 'rename' | 'members' | 'accept' | 'decline';
  group: string;
  users?: readonly string[];
  json?: boolean;
  /** accept / decline: the invitation from this user (§15.4 step 4: several may invite us to one group). */
  from?: string;
}

export function group(args: GroupArgs, io: Io): Promise<number> {
  return withMessenger(io, async (m) => {
    const users = args.users ?? [];
    let g: StoredGroup;
    if (args.action === 'members') {
      // An invitation's members may be looked at before deciding (§15.7); it takes a name only here.
      g = pendingToo(m, args.group);
    } else if (args.action === 'accept' || args.action === 'decline') {
      // §15.7: local only; nothing is sent (a decline does not tell the inviter).
      g = args.action === 'accept' ? acceptGroup(m, args.group, args.from) : declineGroup(m, args.group, args.from);
      if (args.json) printJson(io, { ...groupJson(g), [args.action === 'accept' ? 'accepted' : 'declined']: true });
      else
        io.stdout.write(
          `#${inertLine(g.record.name)} (${g.gid.slice(0, 8)}): ${args.action === 'accept' ? 'accepted' : 'declined and forgotten'}\n`,
        );
      return 0;
    } else if (args.from !== undefined) {
      throw new ChatError('USAGE', '--from is for chat group accept and chat group decline');
    } else if (args.action === 'create') {
      if (users.length === 0)
        throw new ChatError('USAGE', 'a group needs at least one other member', {
          hint: 'chat group create <name> <user...>',
        });
      const out = await createGroup(m, args.group.replace(/^#/, ''), users);
      reportFailures(io, out.result);
      g = out.group;
    } else if (args.action === 'leave') {
      const out = await changeGroup(m, args.group, 'leave', '');
      reportFailures(io, out.result);
      g = out.group;
    } else {
      const arg = users[0];
      if (arg === undefined || users.length > 1) {
        throw new ChatError(
          'USAGE',
          `chat group ${args.action} takes one ${args.action === 'rename' ? 'new name' : 'username'}`,
        );
      }
      const out =
        args.action === 'rename'
          ? await changeGroup(m, args.group, 'rename', '', arg.replace(/^#/, ''))
          : await changeGroup(m, args.group, args.action, arg);
      reportFailures(io, out.result);
      g = out.group;
    }
    if (args.json) printJson(io, groupJson(g));
    else if (args.action === 'members' || args.action === 'create') {
      io.stdout.write(
        `#${inertLine(g.record.name)} (${g.gid.slice(0, 8)}, version ${g.record.version})${g.invitedBy !== undefined ? ` — an invitation from ${g.invitedBy}` : g.member ? '' : ' — you are no longer a member'}\n`,
      );
      for (const x of g.record.members) io.stdout.write(`  ${x.user}${x.admin ? ' (admin)' : ''}\n`);
    } else io.stdout.write(`#${inertLine(g.record.name)}: ${args.action} done (version ${g.record.version})\n`);
    return 0;
  });
}

/** `(invited by alice)` for a pending invitation (§15.7), `(left)` for a group we are no longer in. */
export const groupMark = (g: StoredGroup): string =>
  g.invitedBy !== undefined ? `  (invited by ${g.invitedBy})` : g.member ? '' : '  (left)';

/**
 * Competing invitations (§15.4 step 4) are listed after the groups as `(also invited by carol)`; in JSON as entries
 * with `"competing": true, "invitedBy"`.
 */
export function groups(args: { json?: boolean }, io: Io): Promise<number> {
  return withMessenger(io, async (m) => {
    const all = m.store.groups.list();
    const competing = m.store.groups.invitations();
    if (args.json) printJson(io, groupList(m.store));
    else if (all.length === 0 && competing.length === 0)
      io.stdout.write('no groups yet (chat group create <name> <user...>)\n');
    else {
      for (const g of all)
        io.stdout.write(
          `#${inertLine(g.record.name)}  ${g.gid.slice(0, 8)}  ${g.record.members.length} members${groupMark(g)}\n`,
        );
      for (const i of competing)
        io.stdout.write(
          `#${inertLine(i.record.name)}  ${i.gid.slice(0, 8)}  ${i.record.members.length} members  (also invited by ${i.inviter})\n`,
        );
    }
    return 0;
  });
}

export function rooms(args: { json?: boolean }, io: Io): Promise<number> {
  return withMessenger(io, async (m) => {
    const names = await listRooms(m);
    const joined = new Set(m.store.groups.joinedRooms());
    if (args.json)
      printJson(
        io,
        names.map((name) => ({ name, joined: joined.has(name) })),
      );
    else for (const n of names) io.stdout.write(`#${inertLine(n)}${joined.has(n) ? '  (joined)' : ''}\n`);
    return 0;
  });
}

export function room(
  args: { action: 'join' | 'leave' | 'members'; room: string; json?: boolean },
  io: Io,
): Promise<number> {
  return withMessenger(io, async (m) => {
    const members =
      args.action === 'join'
        ? await joinRoom(m, args.room)
        : args.action === 'leave'
          ? await leaveRoom(m, args.room)
          : await roomMembers(m, args.room);
    const name = args.room.replace(/^#/, '');
    if (args.json) printJson(io, { room: name, members });
    else if (args.action === 'members') io.stdout.write(`${members.map(inertLine).join('\n')}\n`);
    else io.stdout.write(`${args.action === 'join' ? 'joined' : 'left'} #${name} (${members.length} members)\n`);
    return 0;
  });
}
