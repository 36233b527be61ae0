/**
 * PROTOCOL.md §15.4 step 6, a leave that crossed a change: a member who leaves while an admin changes the group makes
 * its leave from a version the admin has already moved past, so the leave does not follow and would be refused, and
 * the two would disagree for good (the member out, everyone else still addressing it). An admin who receives such a
 * leave makes the member's wish a change of its own: `remove` of the leaver at its next version, published like any
 * change (queued in the outbox in the batch's transaction, sent once it has committed).
 */
import { MessageKind, encodeGroupRecord, type GroupRecord } from '@chat/crypto';
import { enqueueFanout, type QueueContext } from '../send/queue.js';
import type { StoredGroup } from '../store/groups.js';
import { addEvent } from './groups.js';
import { isAdmin, isMember, nextState } from './state.js';

export type CrossedContext = Pick<QueueContext, 'username' | 'store'>;

/**
 * Whether `n`, signed by `signer`, is a leave that crossed a change we hold: `signer` leaving itself, still a member of
 * our accepted state `c`, made from a version no later than ours (`n.version ≤ c.version + 1`) and after the record
 * by which `signer` last joined (`n.version > joinedAt`, store/groups.ts: an older leave is one `signer` made before
 * it was added again, which a relay could deliver again), and we are an admin of `c` who can remove it. Only called
 * for a record that does not follow from `c`.
 */
export function isCrossedLeave(
  me: string,
  c: StoredGroup | undefined,
  n: GroupRecord,
  signer: string,
  joinedAt: number | undefined,
): boolean {
  if (n.op !== 'leave' || n.subject !== signer || signer === me) return false;
  if (c === undefined || !c.member || c.invitedBy !== undefined || joinedAt === undefined) return false;
  return (
    isMember(c.record, signer) && isAdmin(c.record, me) && n.version > joinedAt && n.version <= c.record.version + 1
  );
}

/**
 * Removes `leaver` from `c` at our next version, applied here and queued for every member of `c` (the leaver
 * included, who learns nothing new: it is out already), in the caller's transaction. The history shows that the
 * member left. The caller kicks the outbox once the transaction has committed.
 */
export function removeLeaver(m: CrossedContext, c: StoredGroup, leaver: string, relayTs: number, now: number): void {
  const next = nextState(c.record, m.username, 'remove', leaver);
  if (typeof next === 'string') return; // isCrossedLeave checked every rule nextState has: unreachable
  const bytes = encodeGroupRecord(next);
  const members = c.record.members.map((x) => x.user);
  enqueueFanout(m, MessageKind.groupState, bytes, members, () => {
    m.store.groups.put(next, bytes, true, now, null, true);
    addEvent(m, c.gid, `${leaver} left`, now, relayTs);
  });
}
