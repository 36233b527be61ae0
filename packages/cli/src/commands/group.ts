/**
 * `chat group create|add|remove|leave|rename|members|accept|decline` and `chat groups` (PROTOCOL.md §15; rooms are in
 * rooms.ts). Group changes are signed and fanned out to the members. While `chat daemon` runs, each asks it (its
 * group methods, docs/JSONRPC.md): the same output, no passphrase.
 */
import { ChatError } from '../engine/errors.js';
import { stateCopyNotice } from '../engine/send/fanout-codes.js';
import {
  acceptGroup,
  changeGroup,
  createGroup,
  declineGroup,
  findGroup,
  type FanoutResult,
  type StoredGroup,
} from '../engine/groups/index.js';
import type { Messenger } from '../engine/messenger.js';
import type { DaemonClient } from '../daemon/client.js';
import { attachDaemon, withDaemonOr } from './attach.js';
import { openMessenger } from './common.js';
import { groupIdOf } from './group-ref.js';
import { groupInfo, groupList } from '../daemon/results.js';
import { inertLine } from '../terminal-text.js';
import { printJson, warn, type Io } from './io.js';

export async function withMessenger<T>(io: Io, f: (m: Messenger) => Promise<T>): Promise<T> {
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

type GroupInfo = ReturnType<typeof groupInfo>;

export interface GroupArgs {
  action: 'create' | 'add' | 'remove' | 'leave' | 'rename' | 'members' | 'accept' | 'decline';
  group: string;
  users?: readonly string[];
  json?: boolean;
  /** accept / decline: the invitation from this user (§15.4 step 4: several may invite us to one group). */
  from?: string;
}

/** A group as the daemon's group methods answer (daemon/results.ts), with the members a change did not reach. */
type GroupAnswer = GroupInfo & { failed?: FanoutResult['failed'] };

export async function group(args: GroupArgs, io: Io): Promise<number> {
  checkGroupArgs(args);
  const daemon = await attachDaemon(io);
  let g: GroupAnswer;
  if (daemon) {
    try {
      g = await groupViaDaemon(daemon, args, io);
    } finally {
      daemon.close();
    }
  } else g = await withMessenger(io, (m) => ownGroup(m, args));
  const { failed, ...info } = g;
  // A state record the relay could not store for now (a full mailbox too) stays queued for that member.
  for (const f of failed ?? []) warn(io, stateCopyNotice(f.to, f.code));
  if (args.action === 'accept' || args.action === 'decline') {
    // §15.7: local only; nothing is sent (a decline does not tell the inviter).
    if (args.json) printJson(io, { ...info, [args.action === 'accept' ? 'accepted' : 'declined']: true });
    else
      io.stdout.write(
        `#${inertLine(g.name)} (${g.id.slice(0, 8)}): ${args.action === 'accept' ? 'accepted' : 'declined and forgotten'}\n`,
      );
  } else if (args.json) printJson(io, info);
  else if (args.action === 'members' || args.action === 'create') {
    io.stdout.write(
      `#${inertLine(g.name)} (${g.id.slice(0, 8)}, version ${g.version})${g.invitedBy !== undefined ? ` — an invitation from ${g.invitedBy}` : g.member ? '' : ' — you are no longer a member'}\n`,
    );
    for (const x of g.members) io.stdout.write(`  ${x.user}${x.admin ? ' (admin)' : ''}\n`);
  } else io.stdout.write(`#${inertLine(g.name)}: ${args.action} done (version ${g.version})\n`);
  return 0;
}

/** The usage errors, before a session is opened or the daemon asked. */
function checkGroupArgs(args: GroupArgs): void {
  const users = args.users ?? [];
  if (args.action === 'members' || args.action === 'accept' || args.action === 'decline') return;
  if (args.from !== undefined) throw new ChatError('USAGE', '--from is for chat group accept and chat group decline');
  if (args.action === 'create' && users.length === 0)
    throw new ChatError('USAGE', 'a group needs at least one other member', {
      hint: 'chat group create <name> <user...>',
    });
  if ((args.action === 'add' || args.action === 'remove' || args.action === 'rename') && users.length !== 1)
    throw new ChatError(
      'USAGE',
      `chat group ${args.action} takes one ${args.action === 'rename' ? 'new name' : 'username'}`,
    );
}

async function ownGroup(m: Messenger, args: GroupArgs): Promise<GroupAnswer> {
  const users = args.users ?? [];
  const arg = users[0] ?? '';
  switch (args.action) {
    case 'members':
      // An invitation's members may be looked at before deciding (§15.7); it takes a name only here.
      return groupInfo(pendingToo(m, args.group));
    case 'accept':
      return groupInfo(acceptGroup(m, args.group, args.from));
    case 'decline':
      return groupInfo(declineGroup(m, args.group, args.from));
    case 'create':
      return answer(await createGroup(m, args.group.replace(/^#/, ''), users));
    case 'leave':
      return answer(await changeGroup(m, args.group, 'leave', ''));
    case 'rename':
      return answer(await changeGroup(m, args.group, 'rename', '', arg.replace(/^#/, '')));
    default:
      return answer(await changeGroup(m, args.group, args.action, arg));
  }
}

const answer = (c: { group: StoredGroup; result: FanoutResult }): GroupAnswer => ({
  ...groupInfo(c.group),
  failed: c.result.failed,
});

/** The same through the daemon's methods (docs/JSONRPC.md, "Groups and rooms"), the group named by its id. */
async function groupViaDaemon(daemon: DaemonClient, args: GroupArgs, io: Io): Promise<GroupAnswer> {
  const users = args.users ?? [];
  const arg = users[0] ?? '';
  const from = args.from === undefined ? {} : { from: args.from };
  switch (args.action) {
    case 'create':
      return daemon.request('updateGroup', { name: args.group, member: users });
    case 'members': {
      const [g] = await daemon.request<GroupInfo[]>('listGroups', { groupId: await groupIdOf(io, args.group, 'any') });
      return g!;
    }
    case 'accept':
    case 'decline': {
      const groupId = await groupIdOf(io, args.group, 'invitation');
      return daemon.request(args.action === 'accept' ? 'acceptGroup' : 'declineGroup', { groupId, ...from });
    }
  }
  const groupId = await groupIdOf(io, args.group, 'member');
  if (args.action === 'leave') return daemon.request('quitGroup', { groupId });
  const change =
    args.action === 'rename'
      ? { name: arg.replace(/^#/, '') }
      : { [args.action === 'add' ? 'member' : 'removeMember']: [arg] };
  return daemon.request('updateGroup', { groupId, ...change });
}

/**
 * Competing invitations (§15.4 step 4) are listed after the groups as `(also invited by carol)`; in JSON as entries
 * with `"competing": true, "invitedBy"`. Printed from the `listGroups` answer, the daemon's or this session's.
 */
export async function groups(args: { json?: boolean }, io: Io): Promise<number> {
  const list = await withDaemonOr<ReturnType<typeof groupList>>(io, 'listGroups', {}, () =>
    withMessenger(io, async (m) => groupList(m.store)),
  );
  if (args.json) printJson(io, list);
  else if (list.length === 0) io.stdout.write('no groups yet (chat group create <name> <user...>)\n');
  else {
    // groupList puts the competing invitations last, as they were printed before.
    for (const g of list) {
      const mark =
        'competing' in g
          ? `  (also invited by ${g.invitedBy})`
          : g.invitedBy !== undefined
            ? `  (invited by ${g.invitedBy})`
            : g.member
              ? ''
              : '  (left)';
      io.stdout.write(`#${inertLine(g.name)}  ${g.id.slice(0, 8)}  ${g.members.length} members${mark}\n`);
    }
  }
  return 0;
}
