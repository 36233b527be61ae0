/**
 * Group ids bound to their creator (PROTOCOL.md §15.1): 8 random bytes and 8 bytes of a hash committing to the
 * creator's username. Anyone holding an id can check whether a given user created it; nobody can make an id that
 * checks for another user (that needs a 64-bit second preimage). This is what stops a member who learnt a group's id
 * from forging the group's `create` for someone who has never seen it (§15.4).
 */
import { createHash, randomBytes } from 'node:crypto';
import { GROUP_ID_BYTES } from './group-record.js';

/** Domain of the commitment hash, NUL included. */
export const GROUP_ID_DOMAIN = 'chat/v1/gid\0';
/** The random half of a group id; the other half is the commitment. */
export const GROUP_ID_RANDOM_BYTES = 8;

function commitment(random: Uint8Array, creator: string): Uint8Array {
  const h = createHash('sha256').update(GROUP_ID_DOMAIN).update(random).update(creator, 'utf8').digest();
  return new Uint8Array(h.subarray(0, GROUP_ID_BYTES - GROUP_ID_RANDOM_BYTES));
}

/** A fresh group id for a group `creator` makes; `random` (8 bytes) only for tests and vectors. */
export function newGroupId(creator: string, random: Uint8Array = randomBytes(GROUP_ID_RANDOM_BYTES)): Uint8Array {
  if (random.length !== GROUP_ID_RANDOM_BYTES) throw new RangeError('a group id takes 8 random bytes');
  const gid = new Uint8Array(GROUP_ID_BYTES);
  gid.set(random, 0);
  gid.set(commitment(random, creator), GROUP_ID_RANDOM_BYTES);
  return gid;
}

/** Whether `gid` was made by `newGroupId(user, …)`: its last 8 bytes commit to `user` and its first 8. */
export function groupIdBoundTo(gid: Uint8Array, user: string): boolean {
  if (gid.length !== GROUP_ID_BYTES) return false;
  const want = commitment(gid.subarray(0, GROUP_ID_RANDOM_BYTES), user);
  return want.every((b, i) => b === gid[GROUP_ID_RANDOM_BYTES + i]);
}
