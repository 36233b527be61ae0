/**
 * PROTOCOL.md §15.4 step 7, a change that came before the change it follows from: the relay delivers each member's
 * mailbox in order, but one copy of a change may come late (its sender's outbox held it for a key it could not use
 * yet; a relay delayed it), and a member who refused what was made from it would refuse every later change too. Such
 * a record is kept, and decided again (groups/receive.ts, steps 3–6 and §17.4 alike) once the change before it has
 * been applied: as if it had come then.
 */
import { toHex, type GroupRecord } from '@chat/crypto';
import type { Self } from '../context.js';
import type { GroupStore, StoredGroup } from '../store/groups.js';
import { MAX_AHEAD_PER_GROUP } from '../store/groups.js';
import { isMember } from './state.js';

/** How long a kept change waits for the one before it: the relay's mailbox expiry (§9), after which it cannot come. */
export const AHEAD_KEEP_MS = 30 * 24 * 3600 * 1000;

export type AheadContext = Pick<Self, 'username'> & { readonly store: { readonly groups: GroupStore } };

/** The envelope fields of a group state record. */
export interface RecordEnvelope {
  id: string;
  from: string;
  ts: number;
  relayTs: number;
}

/**
 * Keeps `n` if it is ahead of our state `c` (we are a member of it, accepted or pending; `c.version + 1 < n.version ≤
 * c.version + 1 + MAX_AHEAD_PER_GROUP`) and signed by a member of `c`: someone out of the group, or a version far
 * ahead, would only take the places of real ones. False when it is not kept (then refused as before): not ahead, or
 * the group or its signer keeps as many as they may.
 */
export function keepIfAhead(
  m: AheadContext,
  c: StoredGroup | undefined,
  n: GroupRecord,
  bytes: Uint8Array,
  e: RecordEnvelope,
  now: number,
): boolean {
  if (c === undefined || !c.member || !isMember(c.record, e.from)) return false;
  if (n.version <= c.record.version + 1 || n.version > c.record.version + 1 + MAX_AHEAD_PER_GROUP) return false;
  const k = {
    gid: toHex(n.gid),
    version: n.version,
    signer: e.from,
    record: bytes,
    id: e.id,
    ts: e.ts,
    relayTs: e.relayTs,
  };
  return m.store.groups.keepAhead(k, now, now - AHEAD_KEEP_MS);
}
