/**
 * Answering group invitations (PROTOCOL.md §15.7): the pending group, or one of the competing invitations kept beside
 * a group we hold (§15.4 step 4), chosen by its inviter. Local only: nothing is sent.
 */
import { encodeGroupRecord } from '@chat/crypto';
import type { GroupsContext } from '../context.js';
import { ChatError } from '../errors.js';
import type { StoredGroup } from '../store/groups.js';
import { normalizeUsername } from '../username.js';
import { findGroup } from './groups.js';
import { isMember } from './state.js';

/**
 * Accepts an invitation (§15.7). Without `from`: the pending group `ref` names. With `from`: the invitation from that
 * user, pending or competing (§15.4 step 4); a competing one replaces the version of the group we held. Either way
 * the other invitations to the group are forgotten: the user has chosen.
 * @throws {ChatError} NO_SUCH_GROUP, AMBIGUOUS_NAME.
 */
export function acceptGroup(m: Pick<GroupsContext, 'store' | 'username'>, ref: string, from?: string): StoredGroup {
  const inviter = from === undefined ? undefined : normalizeUsername(from);
  const competing = inviter === undefined ? undefined : findInvitation(m, ref, inviter);
  let gid: string;
  if (competing) {
    const bytes = encodeGroupRecord(competing.record);
    m.store.groups.put(competing.record, bytes, isMember(competing.record, m.username), Date.now(), null);
    gid = competing.gid;
  } else {
    const g = pendingGroup(m, ref);
    if (inviter !== undefined && g.invitedBy !== inviter) throw noInvitation(ref, inviter);
    m.store.groups.accept(g.gid);
    gid = g.gid;
  }
  m.store.groups.forgetInvitations(gid);
  return m.store.groups.get(gid)!;
}

/**
 * Declines an invitation. Without `from`: the pending group, with what was held for it and any competing invitation,
 * is forgotten locally. With `from`: only that user's invitation (a competing one, or the pending group if it is
 * theirs). Nobody is told (a decline is not a leave: the inviter learns nothing); a later invitation arrives anew.
 */
export function declineGroup(m: Pick<GroupsContext, 'store'>, ref: string, from?: string): StoredGroup {
  const inviter = from === undefined ? undefined : normalizeUsername(from);
  const competing = inviter === undefined ? undefined : findInvitation(m, ref, inviter);
  if (competing) {
    m.store.groups.forgetInvitation(competing.gid, competing.inviter);
    return { gid: competing.gid, record: competing.record, member: false, invitedBy: competing.inviter };
  }
  const g = pendingGroup(m, ref);
  if (inviter !== undefined && g.invitedBy !== inviter) throw noInvitation(ref, inviter);
  m.store.groups.forget(g.gid);
  return g;
}

const noInvitation = (ref: string, inviter: string) =>
  new ChatError('NO_SUCH_GROUP', `no invitation from ${inviter} to ${JSON.stringify(ref)}`, {
    hint: 'chat groups lists invitations as (invited by …) and (also invited by …)',
  });

/** The pending group `ref` names; when there is none but competing invitations match, the error names their inviters. */
function pendingGroup(m: Pick<GroupsContext, 'store'>, ref: string): StoredGroup {
  try {
    return findGroup(m, ref, true);
  } catch (err) {
    const inviters = matching(m.store.groups.invitations(), ref).map((i) => i.inviter);
    if (!(err instanceof ChatError) || err.code !== 'NO_SUCH_GROUP' || inviters.length === 0) throw err;
    throw new ChatError(
      'NO_SUCH_GROUP',
      `no pending invitation ${JSON.stringify(ref)}, but ${inviters.join(', ')} also invited you`,
      {
        hint: `name the inviter: --from ${inviters[0]} (chat), or /group accept|decline ${ref} ${inviters[0]} (session)`,
      },
    );
  }
}

/** Invitations to the group `ref` names by id (8+ hex digits) or, failing that, by name. */
function matching<T extends { gid: string; record: { name: string } }>(pool: T[], ref: string): T[] {
  const r = ref.replace(/^group:/, '').replace(/^#/, '');
  const byId = /^[0-9a-f]{8,32}$/.test(r) ? pool.filter((i) => i.gid.startsWith(r)) : [];
  return byId.length > 0 ? byId : pool.filter((i) => i.record.name === r);
}

/** `inviter`'s competing invitation to the group `ref` names by id (8+ hex digits) or by name; undefined if none. */
function findInvitation(m: Pick<GroupsContext, 'store'>, ref: string, inviter: string) {
  const hits = matching(
    m.store.groups.invitations().filter((i) => i.inviter === inviter),
    ref,
  );
  if (hits.length > 1)
    throw new ChatError('AMBIGUOUS_NAME', `${hits.length} invitations from ${inviter} match ${JSON.stringify(ref)}`, {
      hint: 'name the group by its id (group:<id>)',
    });
  return hits[0];
}
