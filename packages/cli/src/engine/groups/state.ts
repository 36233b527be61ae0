/**
 * The membership rules of PROTOCOL.md §15.3–§15.4 as pure functions: how an author makes the next state, and how a
 * member decides whether a received state record follows from the one it has.
 */
import type { GroupMember, GroupOp, GroupRecord } from '@chat/crypto';

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

export type Check = { ok: true } | { ok: false; code: 'GROUP_STALE' | 'GROUP_CHANGE_REFUSED'; detail: string };

/** §15.4: may member `me`, holding `c` (or nothing), accept record `n` signed by `signer`? */
export function checkRecord(me: string, c: GroupRecord | undefined, n: GroupRecord, signer: string): Check {
  const meIn = c !== undefined && isMember(c, me);
  if (meIn && n.version <= c.version)
    return { ok: false, code: 'GROUP_STALE', detail: `version ${n.version} is not newer than ${c.version}` };
  if (!meIn) {
    // For a group we knew (we were removed or left), the signer must have been an admin of the last state we accepted:
    // an admin named only in the new record would let any former co-member fork the group under its id (§15.4 step 2).
    const admin = c === undefined ? isAdmin(n, signer) : isAdmin(c, signer) && isAdmin(n, signer);
    const invited =
      (n.op === 'create' || n.op === 'add') && isMember(n, me) && admin && (c === undefined || n.version > c.version);
    return invited
      ? { ok: true }
      : {
          ok: false,
          code: 'GROUP_CHANGE_REFUSED',
          detail: `${signer} cannot make this change (not an invitation from an admin)`,
        };
  }
  if (n.op === 'create') return { ok: false, code: 'GROUP_CHANGE_REFUSED', detail: 'create for a group we are in' };
  const expected = nextState(c, signer, n.op, n.subject, n.name);
  if (typeof expected === 'string') return { ok: false, code: 'GROUP_CHANGE_REFUSED', detail: expected };
  if (n.version !== expected.version || n.name !== expected.name || !sameMembers(n.members, expected.members)) {
    return {
      ok: false,
      code: 'GROUP_CHANGE_REFUSED',
      detail: `the ${n.op} record does not follow from version ${c.version}`,
    };
  }
  return { ok: true };
}

function sameMembers(a: GroupMember[], b: GroupMember[]): boolean {
  return a.length === b.length && a.every((m, i) => m.user === b[i]!.user && m.admin === b[i]!.admin);
}

export { isAdmin, isMember };
