/**
 * `chat edit`, `chat delete` and `chat react` (PROTOCOL.md §17): the action is checked and applied to our own history
 * by the same rules a recipient applies (rules.ts), then queued in the durable outbox — to the peer, or fanned out to
 * the group's other members — and sent now; if the connection fails it stays queued for the next one.
 */
import { MAX_BODY_BYTES, MessageKind, encodeMessageAction, fromHex, utf8, type MessageAction } from '@chat/crypto';
import type { QueueFanout, SendControl, Self } from '../context.js';
import { ChatError, refuseBlocked } from '../errors.js';
import type { FanoutResult } from '../events.js';
import type { StoredGroup } from '../store/groups.js';
import type { TargetRow } from '../store/history.js';
import type { Store } from '../store/store.js';
import { applyAction, type Action, type TargetRef } from './rules.js';

export interface ActionsContext extends Self, QueueFanout, SendControl {
  readonly store: Pick<Store, 'history' | 'groups' | 'transaction' | 'blocked'>;
}

/** Where an action on a message goes, and how the envelope names it. */
interface Located {
  target: TargetRow;
  /** Who wrote it. */
  sender: string;
  ref: TargetRef;
  /** 1:1: the peer; group: the group. */
  peer?: string;
  group?: StoredGroup;
  /** `bob` or `#team`, for output. */
  conv: string;
}

/** What an action did: the message, the conversation, and (groups) the fan-out. */
export interface ActionOutcome {
  target: string;
  conv: string;
  seq?: number;
  result?: FanoutResult;
}

/** A message id, or a unique prefix of one of at least 8 hex digits (as `chat history` shows them). */
const ID = /^[0-9a-f]{8,32}$/;

/**
 * The message with local id `id`, and how to address an action on it (`forMe`: a local delete, sent to nobody).
 * @throws {ChatError} USAGE (not an id; a room message), NO_SUCH_MESSAGE, NO_SUCH_GROUP (no longer a member),
 *   BLOCKED (a 1:1 message with a user we blocked, unless `forMe`).
 */
export function locate(m: Pick<ActionsContext, 'store' | 'username'>, id: string, forMe = false): Located {
  const norm = id.toLowerCase();
  if (!ID.test(norm))
    throw new ChatError('USAGE', `${JSON.stringify(id)} is not a message id (8 to 32 hex digits)`, {
      hint: 'chat history <user|#group> lists the ids',
    });
  const ids = norm.length === 32 ? [norm] : m.store.history.idsWithPrefix(norm);
  if (ids.length > 1)
    throw new ChatError('AMBIGUOUS_NAME', `more than one message id starts with ${norm}`, {
      hint: 'give more digits of the id',
    });
  const t = ids[0] === undefined ? undefined : m.store.history.byId(ids[0]);
  if (!t)
    throw new ChatError('NO_SUCH_MESSAGE', `no message ${norm} in your history`, {
      hint: 'chat history <user|#group> --json lists the ids',
    });
  if (t.sender === '*')
    throw new ChatError(
      'USAGE',
      'a conversation line (a timer setting) is not a message: it cannot be edited, deleted or reacted to',
    );
  if (t.table === 'messages') {
    // §17.4: nothing goes to a blocked peer (`forMe` sends nothing); in a group it goes to every member, as a text.
    if (!forMe) refuseBlocked(m.store.blocked, t.conv);
    const sender = t.sender ?? m.username;
    return { target: t, sender, ref: { kind: 'direct', peer: t.conv, id: t.id }, peer: t.conv, conv: t.conv };
  }
  if (!t.conv.startsWith('#') || t.sender === '*')
    throw new ChatError(
      'USAGE',
      'only direct and group messages can be edited, deleted or reacted to (PROTOCOL.md §17)',
    );
  const group = m.store.groups.get(t.conv.slice(1));
  if (!group?.member) throw new ChatError('NO_SUCH_GROUP', 'you are no longer a member of that message’s group');
  if (!t.ref)
    throw new ChatError('NO_SUCH_MESSAGE', `message ${t.id} is from before message references (schema v10)`, {
      hint: 'only messages received or sent since this version can be edited, deleted or reacted to',
    });
  return {
    target: t,
    sender: t.sender ?? m.username,
    ref: { kind: 'group', conv: t.conv, ref: t.ref },
    group,
    conv: `#${group.record.name}`,
  };
}

/** `chat edit <id> <text>`: only our own messages; the new version gets the next sequence number (§17.3). */
export function editMessage(m: ActionsContext, id: string, text: string): Promise<ActionOutcome> {
  const at = locate(m, id);
  mine(m, at, 'edit');
  const seq = at.target.editSeq + 1;
  if (utf8(text).length > MAX_BODY_BYTES - 52)
    throw new ChatError('BODY_TOO_LARGE', `an edit is at most ${MAX_BODY_BYTES - 52} bytes (UTF-8)`);
  return act(m, at, { op: 'edit', author: m.username, seq, text, ts: Date.now() }, seq);
}

/** `chat delete <id>`: for everyone (our own messages only), or with `forMe` from our history alone. */
export async function deleteMessage(m: ActionsContext, id: string, forMe = false): Promise<ActionOutcome> {
  const at = locate(m, id, forMe);
  if (forMe) {
    m.store.transaction(() => m.store.history.forget(at.target, Date.now()));
    return { target: at.target.id, conv: at.conv };
  }
  mine(m, at, 'delete');
  return act(m, at, { op: 'delete', author: m.username, ts: Date.now() });
}

/** `chat react <id> <emoji>`: one reaction per person per message; another replaces it, `""` removes it. */
export function reactToMessage(m: ActionsContext, id: string, emoji: string): Promise<ActionOutcome> {
  const at = locate(m, id);
  return act(m, at, { op: 'reaction', author: m.username, emoji, ts: Date.now() });
}

function mine(m: Pick<ActionsContext, 'username'>, at: Located, op: 'edit' | 'delete'): void {
  if (at.sender !== m.username)
    throw new ChatError('NOT_AUTHOR', `only ${at.sender}, who sent message ${at.target.id}, can ${op} it`, {
      hint: op === 'delete' ? `chat delete ${at.target.id} --for-me removes it from your history` : undefined,
    });
  if (at.target.deleted) throw new ChatError('TARGET_DELETED', `message ${at.target.id} was deleted`);
}

const KIND = {
  direct: { edit: MessageKind.edit, delete: MessageKind.delete, reaction: MessageKind.reaction },
  group: { edit: MessageKind.groupEdit, delete: MessageKind.groupDelete, reaction: MessageKind.groupReaction },
} as const;

/** Encodes `a`, applies it locally (the same rules as a recipient), queues it and sends it. */
async function act(m: ActionsContext, at: Located, a: Action, seq?: number): Promise<ActionOutcome> {
  const kind = KIND[at.ref.kind][a.op];
  const fields: MessageAction = {
    op: a.op,
    target: fromHex(at.ref.kind === 'group' ? at.ref.ref : at.ref.id),
    ...(at.group ? { gid: fromHex(at.group.gid) } : {}),
    ...(a.seq === undefined ? {} : { seq: a.seq }),
    ...(a.text === undefined ? {} : { text: a.text }),
    ...(a.emoji === undefined ? {} : { emoji: a.emoji }),
  };
  let body: Uint8Array;
  try {
    body = encodeMessageAction(kind, fields);
  } catch (err) {
    throw new ChatError('USAGE', (err as Error).message.replace(/^encodeMessageAction: /, ''), { cause: err });
  }
  const apply = () => {
    const r = applyAction(m.store.history, at.ref, a, m.username, Date.now());
    if (!r.ok)
      throw new ChatError(
        r.code === 'NOT_AUTHOR' || r.code === 'TARGET_DELETED' ? r.code : 'NO_SUCH_MESSAGE',
        r.detail,
      );
  };
  const out: ActionOutcome = { target: at.target.id, conv: at.conv, ...(seq === undefined ? {} : { seq }) };
  if (at.group) {
    // Applied in the transaction that queues the copies: the change and its envelopes commit together.
    out.result = await m.queueFanout(
      kind,
      body,
      at.group.record.members.map((x) => x.user),
      apply,
    );
    return out;
  }
  m.store.transaction(apply);
  await m.sendControl(at.peer!, kind, body);
  return out;
}
