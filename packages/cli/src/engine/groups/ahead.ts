/**
 * PROTOCOL.md §15.4 step 7, a change that came before the change it follows from: the relay delivers each member's
 * mailbox in order, but one copy of a change may come late (its sender's outbox held it for a key it could not use
 * yet; a relay delayed it), and a member who refused what was made from it would refuse every later change too. Such
 * a record is kept, and applied once the change before it has been: as if it had come in order.
 */
import { parseGroupRecord, toHex, type GroupRecord } from '@chat/crypto';
import type { Self } from '../context.js';
import type { GroupMessage } from '../events.js';
import type { StoredGroup, GroupStore } from '../store/groups.js';
import { describeChange, groupConv } from './groups.js';
import { checkRecord, isMember } from './state.js';

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
 * Whether `n` is ahead of our state `c` (a member of it, accepted or pending: `n.version > c.version + 1`), and then
 * keeps it; false if it is not, or the group already keeps MAX_AHEAD_PER_GROUP others (then refused as before).
 */
export function keepIfAhead(
  m: AheadContext,
  c: StoredGroup | undefined,
  n: GroupRecord,
  bytes: Uint8Array,
  e: RecordEnvelope,
  now: number,
): boolean {
  if (c === undefined || !c.member || n.version <= c.record.version + 1) return false;
  const gid = toHex(n.gid);
  const k = { gid, version: n.version, signer: e.from, record: bytes, id: e.id, ts: e.ts, relayTs: e.relayTs };
  return m.store.groups.keepAhead(k, now, now - AHEAD_KEEP_MS);
}

/**
 * After a change to `gid` was applied: applies, in turn, each kept change that now follows (§15.4 step 3, the same
 * checks), records it in the history as it would have been, and returns the events to show (none for a pending
 * group). A kept one that does not follow when its version's turn comes is dropped.
 */
export function releaseAhead(m: AheadContext, gid: string, now: number): GroupMessage[] {
  const shown: GroupMessage[] = [];
  for (;;) {
    const c = m.store.groups.get(gid);
    if (c === undefined || !c.member) return shown;
    const next = m.store.groups
      .takeAhead(gid, c.record.version + 1)
      .map((k) => ({ k, record: parseGroupRecord(k.record) }))
      .find(({ k, record }) => {
        const check = checkRecord(m.username, c.record, record, k.signer);
        return check.ok && check.as === 'change';
      });
    if (next === undefined) return shown;
    const { k, record } = next;
    m.store.groups.put(record, k.record, isMember(record, m.username), now, c.invitedBy ?? null);
    const body = describeChange(record, k.signer);
    const row = { id: k.id, conv: groupConv(gid), sender: '*', body, ts: k.ts, relayTs: k.relayTs, receivedAt: now };
    m.store.groups.addMessage(row);
    if (c.invitedBy === undefined) {
      const { id, ts, relayTs } = k;
      shown.push({
        id,
        kind: 'event',
        conv: `#${record.name}`,
        gid,
        from: k.signer,
        body,
        ts,
        relayTs,
        receivedAt: now,
      });
    }
  }
}
