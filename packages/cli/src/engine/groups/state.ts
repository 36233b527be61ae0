/**
 * The membership rules of PROTOCOL.md §15.3–§15.4 as pure functions: how an author makes the next state, and how a
 * member decides whether a received state record follows from the one it has.
 */
import { encodeGroupRecord, groupIdBoundTo, type GroupMember, type GroupOp, type GroupRecord } from '@chat/crypto';

const isMember = (r: GroupRecord, user: string) => r.members.some((m) => m.user === user);
const isAdmin = (r: GroupRecord, user: string) => r.members.some((m) => m.user === user && m.admin);
const sorted = (ms: GroupMember[]) => [...ms].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));

/** The state `op` makes from `c`, or a reason why it cannot (used by the author, and to check a received change). */
export function nextState(
  c: GroupRecord,
  author: string,
  op: Exclude<GroupOp, 'create'>,
  subject: string,
  name = c.name,
): GroupRecord | string {
  const base = { gid: c.gid, version: c.version + 1, op, name: c.name, subject };
  switch (op) {
    case 'leave':
      if (subject !== author || !isMember(c, author)) return 'only a member can leave, and only itself';
      if (c.members.length === 1) return 'the last member cannot leave';
      return { ...base, members: promoteIfNoAdmin(c.members.filter((m) => m.user !== author)) };
    case 'add':
      if (!isAdmin(c, author)) return `${author} is not an admin of the group`;
      if (isMember(c, subject)) return `${subject} is already a member`;
      return { ...base, members: sorted([...c.members, { user: subject, admin: false }]) };
    case 'remove':
      if (!isAdmin(c, author)) return `${author} is not an admin of the group`;
      if (!isMember(c, subject)) return `${subject} is not a member`;
      if (subject === author) return 'an admin leaves with leave, not remove';
      return { ...base, members: c.members.filter((m) => m.user !== subject) };
    case 'rename':
      if (!isAdmin(c, author)) return `${author} is not an admin of the group`;
      return { ...base, subject: '', name, members: c.members };
  }
}

/** When the last admin leaves, the first remaining member (by name) becomes admin, so the group stays manageable. */
function promoteIfNoAdmin(ms: GroupMember[]): GroupMember[] {
  if (ms.some((m) => m.admin)) return ms;
  return ms.map((m, i) => (i === 0 ? { ...m, admin: true } : m));
}

/**
 * How a record that passed §15.4 is taken: `change` follows from the state we hold; `invitation` makes us a member of
 * a group we hold no state for or are out of (it becomes the group's state); `competing` invites us into a group we are
 * in but does not follow from our state (it is kept beside it for the user to choose, §15.4 step 4).
 */
export type Check =
  | { ok: true; as: 'change' | 'invitation' | 'competing' }
  | { ok: false; code: 'GROUP_STALE' | 'GROUP_CHANGE_REFUSED'; detail: string };

const refused = (detail: string): Check => ({ ok: false, code: 'GROUP_CHANGE_REFUSED', detail });

/**
 * §15.4 step 1: `n` invites `me` — a `create`, or an `add` whose subject is `me` — names `me` a member and its signer
 * an admin. (A `create` must also be version 1 under an id bound to its signer; `checkRecord` refuses any other.)
 */
export function isInvitation(me: string, n: GroupRecord, signer: string): boolean {
  return (n.op === 'create' || (n.op === 'add' && n.subject === me)) && isMember(n, me) && isAdmin(n, signer);
}

/** §15.4: may member `me`, holding `c` (or nothing), take record `n` signed by `signer`, and how? */
export function checkRecord(me: string, c: GroupRecord | undefined, n: GroupRecord, signer: string): Check {
  // Only the creator can make version 1, and only version 1 is a create: otherwise a member who knows the id could
  // hand a newcomer a "create" naming itself admin at a version no real change would ever exceed.
  if (n.op === 'create' && (n.version !== 1 || !groupIdBoundTo(n.gid, signer) || !isAdmin(n, signer)))
    return refused(`a create must be version 1, by an admin, under an id bound to its signer ${signer}`);
  const invitation = isInvitation(me, n, signer);
  if (c === undefined || !isMember(c, me)) {
    // No state, or we are out: we cannot know who is admin now, so any admin-signed invitation is one (step 2).
    return invitation
      ? { ok: true, as: 'invitation' }
      : refused(`${signer} cannot make this change (not an invitation)`);
  }
  const follows = followsFrom(c, n, signer);
  if (follows.ok) return follows;
  // An invitation into a group we are in that does not follow from our state is another version of it: kept beside
  // ours, never stale (step 4). The very record we hold, sent again, is only a redelivery.
  if (invitation && !sameRecord(c, n)) return { ok: true, as: 'competing' };
  return follows;
}

/** §15.4 step 3: does `n`, signed by `signer`, follow from `c` (in which we are a member)? */
function followsFrom(c: GroupRecord, n: GroupRecord, signer: string): Check {
  if (n.version <= c.version)
    return { ok: false, code: 'GROUP_STALE', detail: `version ${n.version} is not newer than ${c.version}` };
  if (n.op === 'create') return refused('create for a group we are in');
  const expected = nextState(c, signer, n.op, n.subject, n.name);
  if (typeof expected === 'string') return refused(expected);
  if (n.version !== expected.version || n.name !== expected.name || !sameMembers(n.members, expected.members))
    return refused(`the ${n.op} record does not follow from version ${c.version}`);
  return { ok: true, as: 'change' };
}

function sameRecord(a: GroupRecord, b: GroupRecord): boolean {
  const x = encodeGroupRecord(a);
  const y = encodeGroupRecord(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function sameMembers(a: GroupMember[], b: GroupMember[]): boolean {
  return a.length === b.length && a.every((m, i) => m.user === b[i]!.user && m.admin === b[i]!.admin);
}

export { isAdmin, isMember };
