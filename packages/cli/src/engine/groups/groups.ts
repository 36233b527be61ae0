/**
 * Groups (PROTOCOL.md §15.3–§15.5): create, change membership, rename, send — each change applied locally and queued
 * in the durable outbox in one transaction, then fanned out as a state record to the old and new members.
 */
import {
  GROUP_NAME_FORBIDDEN,
  MAX_BODY_BYTES,
  MessageKind,
  encodeGroupRecord,
  encodeGroupText,
  encodeMessageAction,
  fromHex,
  newGroupId,
  groupMessageRef,
  randomMessageId,
  toHex,
  utf8,
  type GroupOp,
  type GroupRecord,
} from '@chat/crypto';
import { ChatError } from '../errors.js';
import type { GroupsContext } from '../context.js';
import { normalizeUsername } from '../username.js';
import type { FanoutResult } from '../events.js';
import type { StoredGroup } from '../store/groups.js';
import type { Store } from '../store/store.js';
import { isMember, nextState } from './state.js';

/** The conversation key of a group in local history. */
export const groupConv = (gid: string) => `#${gid}`;

/**
 * Finds a group (§15.7): by name among accepted groups, or by its id (`group:<hex>`, or bare hex, at least 8 digits of
 * it; the full id is always unique). With `pending`, among pending invitations instead (for accept and decline).
 * @throws {ChatError} NO_SUCH_GROUP, AMBIGUOUS_NAME (more than one matches), GROUP_PENDING (only an invitation matches).
 */
export function findGroup(m: Pick<GroupsContext, 'store'>, ref: string, pending = false): StoredGroup {
  const explicit = ref.startsWith('group:');
  const r = explicit ? ref.slice(6) : ref.replace(/^#/, '');
  const byId = /^[0-9a-f]{8,32}$/.test(r);
  if (explicit && !byId)
    throw new ChatError('USAGE', `group:${r} is not a group id`, {
      hint: 'group:<id> takes at least 8 hex digits of the id (chat groups lists them)',
    });
  const match = (pool: StoredGroup[]) => {
    const named = explicit ? [] : pool.filter((g) => g.record.name === r);
    return named.length > 0 || !byId ? named : pool.filter((g) => g.gid.startsWith(r));
  };
  const all = m.store.groups.list();
  const hits = match(all.filter((g) => (g.invitedBy !== undefined) === pending));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) {
    throw new ChatError(
      'AMBIGUOUS_NAME',
      `${hits.length} groups match ${JSON.stringify(r)}: ${hits.map((g) => `group:${g.gid}`).join(', ')}`,
      { hint: 'name one by its id (group:<id>, at least 8 hex digits)' },
    );
  }
  const other = pending ? [] : match(all.filter((g) => g.invitedBy !== undefined));
  if (other.length > 0) {
    const g = other[0]!;
    throw new ChatError(
      'GROUP_PENDING',
      `#${g.record.name} (${g.gid.slice(0, 8)}) is an invitation from ${g.invitedBy} that you have not accepted`,
      { hint: `chat group accept ${g.gid.slice(0, 8)} (or decline)` },
    );
  }
  throw new ChatError('NO_SUCH_GROUP', `no ${pending ? 'pending invitation' : 'group'} ${JSON.stringify(r)}`, {
    hint: pending ? 'chat groups lists invitations as (invited by …)' : 'chat groups lists your groups',
  });
}

/** A group name is 1..64 bytes of UTF-8 without control, bidi or invisible characters (§15.3). @throws {ChatError} USAGE. */
export function groupNameArg(name: string): string {
  const n = utf8(name).length;
  if (n < 1 || n > 64) throw new ChatError('USAGE', `a group name is 1 to 64 bytes (UTF-8), got ${n}`);
  if (GROUP_NAME_FORBIDDEN.test(name))
    throw new ChatError('USAGE', 'a group name must not contain control, bidi or invisible characters', {
      hint: 'letters, digits, spaces, punctuation and emoji are fine',
    });
  return name;
}

/**
 * Applies `record` locally and queues it for `old ∪ new` members (§15.3) in one transaction, then sends it like a
 * group message: if the connection fails, the change stands and the record goes out on the next connection.
 */
function publish(m: GroupsContext, record: GroupRecord, previous: GroupRecord | undefined): Promise<FanoutResult> {
  const bytes = encodeGroupRecord(record);
  const to = new Set([...(previous?.members ?? []), ...record.members].map((x) => x.user));
  return m.queueFanout(MessageKind.groupState, bytes, [...to], () => {
    m.store.groups.put(record, bytes, isMember(record, m.username), Date.now(), null, previous !== undefined);
    addEvent(m, toHex(record.gid), describeChange(record, m.username), Date.now(), null);
  });
}

export async function createGroup(
  m: GroupsContext,
  name: string,
  users: readonly string[],
): Promise<{ group: StoredGroup; result: FanoutResult }> {
  groupNameArg(name);
  const members = [...new Set([m.username, ...users.map(normalizeUsername)])]
    .sort()
    .map((user) => ({ user, admin: user === m.username }));
  // Yourself alone is no group: refused here too, as with no member at all (`chat group create solo alice` made one
  // for alice: hunt2).
  if (members.length < 2)
    throw new ChatError('USAGE', 'a group needs at least one other member', { hint: 'name someone besides yourself' });
  // Pin everyone first: an unknown name fails here, before the group exists anywhere.
  await m.withConnectionFor(async (conn) => {
    for (const u of members)
      if (u.user !== m.username && !m.store.contacts.get(u.user)) await m.lookupAndPin(u.user, conn);
  });
  // The id is bound to us (§15.1): only we can make its version 1, and anyone can check that we created it.
  const record: GroupRecord = { gid: newGroupId(m.username), version: 1, op: 'create', subject: '', name, members };
  const result = await publish(m, record, undefined);
  return { group: m.store.groups.get(toHex(record.gid))!, result };
}

/** add / remove / leave / rename, by an admin (leave: by anyone). */
export async function changeGroup(
  m: GroupsContext,
  ref: string,
  op: Exclude<GroupOp, 'create'>,
  subject: string,
  name?: string,
): Promise<{ group: StoredGroup; result: FanoutResult }> {
  const g = findGroup(m, ref);
  if (!g.member) throw new ChatError('NO_SUCH_GROUP', `you are no longer a member of ${g.record.name}`);
  const who = op === 'leave' ? m.username : op === 'rename' ? '' : normalizeUsername(subject);
  if (op === 'rename') groupNameArg(name ?? '');
  // The same name again would publish a new version and tell every member it was renamed (hunt2): nothing to do.
  if (op === 'rename' && name === g.record.name)
    throw new ChatError('USAGE', `the group is already named #${g.record.name}: nothing to change`);
  const next = nextState(g.record, m.username, op, who, name);
  if (typeof next === 'string') throw new ChatError(next.includes('admin') ? 'NOT_GROUP_ADMIN' : 'USAGE', next);
  // Pin a new member before anything is published: an unknown name fails here (exit 3) and changes nothing.
  if (op === 'add' && !m.store.contacts.get(who)) await m.withConnectionFor((conn) => m.lookupAndPin(who, conn));
  const result = await publish(m, next, g.record);
  return { group: m.store.groups.get(g.gid)!, result };
}

/**
 * Sends `text` to every other member of the group (§15.5); if the connection fails it stays queued for the next. With
 * `replyTo` (the local id of a message of this group) it is a group reply (§17.1) naming that message's reference.
 * @throws {ChatError} NO_SUCH_GROUP, BODY_TOO_LARGE, NO_SUCH_MESSAGE (the reply's target is not in this group).
 */
export async function sendGroupText(
  m: GroupsContext,
  ref: string,
  text: string,
  replyTo?: string,
): Promise<{ group: StoredGroup; result: FanoutResult }> {
  const g = findGroup(m, ref);
  if (!g.member) throw new ChatError('NO_SUCH_GROUP', `you are no longer a member of ${g.record.name}`);
  const conv = groupConv(g.gid);
  let kind: number = MessageKind.groupText;
  let body: Uint8Array;
  if (replyTo === undefined) body = encodeGroupText(fromHex(g.gid), text);
  else {
    const target = m.store.history.byId(replyTo);
    if (!target || target.conv !== conv || !target.ref)
      throw new ChatError('NO_SUCH_MESSAGE', `no message ${replyTo} in #${g.record.name} to reply to`, {
        hint: `chat history '#${g.record.name}' --json lists the ids`,
      });
    // gid and target before the text: the same body limit as a group text leaves 16 bytes less for it.
    if (utf8(text).length + 16 > MAX_BODY_BYTES)
      throw new ChatError(
        'BODY_TOO_LARGE',
        `the reply is ${utf8(text).length} bytes; the limit is ${MAX_BODY_BYTES - 16} bytes (UTF-8)`,
      );
    kind = MessageKind.groupReply;
    body = encodeMessageAction(kind, { op: 'reply', gid: fromHex(g.gid), target: fromHex(target.ref), text });
  }
  if (body.length - 16 > MAX_BODY_BYTES)
    throw new ChatError(
      'BODY_TOO_LARGE',
      `the message is ${utf8(text).length} bytes; the limit is ${MAX_BODY_BYTES} bytes (UTF-8)`,
    );
  // Durable like a 1:1 message: queued with its history row in one transaction, and sent in `fanout` frames. The row
  // keeps the §17.2 reference of the copies (same kind, sender, ts and body for every member).
  const history = (id: string, ts: number) =>
    m.store.groups.addMessage({
      id,
      conv,
      sender: m.username,
      body: text,
      ts,
      relayTs: null,
      receivedAt: ts,
      ref: toHex(groupMessageRef(kind, m.username, ts, body)),
      replyTo: replyTo ?? null,
    });
  return {
    group: g,
    result: await m.queueFanout(
      kind,
      body,
      g.record.members.map((x) => x.user),
      history,
    ),
  };
}

export function addEvent(
  m: { readonly store: Pick<Store, 'groups'> },
  gid: string,
  text: string,
  ts: number,
  relayTs: number | null,
): void {
  m.store.groups.addMessage({
    id: toHex(randomMessageId()),
    conv: groupConv(gid),
    sender: '*',
    body: text,
    ts,
    relayTs,
    receivedAt: Date.now(),
  });
}

/** "alice added carol", "bob left", … from the author's point of view (`by`). */
export function describeChange(r: GroupRecord, by: string): string {
  switch (r.op) {
    case 'create':
      return `${by} created #${r.name} with ${r.members.map((x) => x.user).join(', ')}`;
    case 'add':
      return `${by} added ${r.subject}`;
    case 'remove':
      return `${by} removed ${r.subject}`;
    case 'leave':
      return `${by} left`;
    case 'rename':
      return `${by} renamed the group to #${r.name}`;
  }
}
