/**
 * The JSON objects a command prints with --json and the daemon's matching method answers (docs/JSONRPC.md): one
 * builder each, so `chat group create --json` and `updateGroup` cannot drift apart.
 */
import type { ActionOutcome } from '../engine/actions/send.js';
import type { HistoryEntry } from '../engine/actions/history.js';
import type { SafetyNumberView, TrustResult } from '../engine/contacts/identities.js';
import type { StoredGroup, StoredInvitation } from '../engine/store/groups.js';

/** A group as `chat groups --json` lists it; a pending invitation carries `pending` and `invitedBy`. */
export function groupInfo(g: StoredGroup) {
  const invite = g.invitedBy === undefined ? {} : { pending: true, invitedBy: g.invitedBy };
  return {
    id: g.gid,
    name: g.record.name,
    version: g.record.version,
    member: g.member,
    ...invite,
    members: g.record.members.map((x) => ({ user: x.user, admin: x.admin })),
  };
}

/** `chat groups --json`: the groups, then competing invitations (§15.4 step 4) with `competing` and `invitedBy`. */
export function groupList(store: { groups: { list(): StoredGroup[]; invitations(): StoredInvitation[] } }) {
  return [
    ...store.groups.list().map(groupInfo),
    ...store.groups.invitations().map((i) => ({
      ...groupInfo({ gid: i.gid, record: i.record, member: false }),
      competing: true,
      invitedBy: i.inviter,
    })),
  ];
}

/** What `chat edit|delete|react --json` print: the message, its conversation, the edit's sequence number. */
export function actionResult(out: ActionOutcome) {
  return { target: out.target, conv: out.conv, ...(out.seq === undefined ? {} : { seq: out.seq }) };
}

export function trustResult(r: TrustResult) {
  return {
    username: r.contact.username,
    fingerprint: r.contact.fingerprint,
    trust: r.contact.trust,
    acceptedNewKey: r.acceptedNewKey,
    previousFingerprint: r.previousFingerprint ?? null,
  };
}

export function safetyNumberResult(view: SafetyNumberView) {
  return {
    username: view.username,
    safetyNumber: view.formatted,
    fingerprint: view.fingerprint,
    trust: view.trust,
    forPendingKey: view.forPendingKey,
  };
}

/** One `chat history --json` / `chat search --json` line: `reply_to` as in `chat recv --json`, a local nickname. */
export function historyEntry(e: HistoryEntry, nicknames: ReadonlyMap<string, string>) {
  const { replyTo, quote: _, ...rest } = e;
  const nickname = nicknames.get(e.from);
  return {
    type: 'message' as const,
    ...rest,
    ...(replyTo === undefined ? {} : { reply_to: replyTo }),
    ...(nickname === undefined ? {} : { nickname }),
  };
}
