/**
 * `chat history` and `chat search` (issue 15): the local history of a conversation, a page at a time, with replies,
 * edits, deletes and reactions applied (PROTOCOL.md §17). Reads only the store: no connection, no keys used.
 */
import type { GroupsContext } from '../context.js';
import { ChatError } from '../errors.js';
import { resolveConversation } from '../groups/conversation.js';
import type { HistoryRow, HistoryTable, TargetRow } from '../store/history.js';
import type { Store } from '../store/store.js';
import { normalizeUsername } from '../username.js';

type HistoryContext = { readonly username: string; readonly store: Pick<Store, 'history' | 'groups'> };

/** The default and largest page of `chat history` / results of `chat search`. */
export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 10_000;

/** A conversation as the store keys it, and as it is shown. */
export interface ConvKey {
  conv: string;
  group: boolean;
  /** `bob` or `#team`. */
  label: string;
}

/** One message as `chat history` and `chat search` show it. */
export interface HistoryEntry {
  id: string;
  conv: string;
  from: string;
  /** The shown text: the latest version; `""` when deleted. */
  body: string;
  edited: boolean;
  deleted: boolean;
  /** The local id of the message this one replies to (or its §17.2 reference when not held). */
  replyTo?: string;
  /** What the reply's quote shows: its target, when that is a message of this conversation (`quotedTarget`). */
  quote?: Quote;
  /** Every version, oldest first (seq 0 the original), when edited. */
  versions?: { seq: number; body: string; ts: number }[];
  reactions: { from: string; emoji: string }[];
  ts: number;
  receivedAt: number;
  /** Outgoing 1:1 messages: queued, sent, delivered, read, failed; incoming: unread, read. */
  state?: string;
  /** A group membership change (`*` lines). */
  event?: boolean;
}

/** The quoted target of a reply: who wrote it and its shown text. */
export interface Quote {
  from: string;
  body: string;
  deleted: boolean;
}

type ReplyLookup = Pick<HistoryTable, 'byId' | 'byRef'>;

/**
 * The target of a reply in conversation `conv` (as the store keys it: a peer, `#<gid>`), or undefined when it is not
 * a message of that conversation (§17.1): like an action's target (rules.ts findTarget), a quote never shows a
 * message of another conversation, whatever id a sender names. A group reply stored before its target came keeps the
 * §17.2 reference it named (groups/receive.ts), so that is looked up too: the quote appears once the target is in.
 */
export function quotedTarget(h: ReplyLookup, replyTo: string, conv: string): TargetRow | undefined {
  const t = h.byId(replyTo) ?? (conv.startsWith('#') ? h.byRef(conv, replyTo) : undefined);
  return t !== undefined && t.conv === conv && t.sender !== '*' ? t : undefined;
}

/** `quotedTarget` as a reply's quote shows it; `me` is our username (the sender of our own 1:1 rows). */
export function quoteOf(h: ReplyLookup, replyTo: string, conv: string, me: string): Quote | undefined {
  const t = quotedTarget(h, replyTo, conv);
  return t && quoteFrom(t, me);
}

const quoteFrom = (t: TargetRow, me: string): Quote => ({ from: t.sender ?? me, body: t.body, deleted: t.deleted });

/**
 * `bob`, `#team`, `group:<id>` or `room:<name>` as the store keys it.
 * @throws {ChatError} BAD_USERNAME, NO_SUCH_GROUP, AMBIGUOUS_NAME, GROUP_PENDING.
 */
export function conversationKey(m: HistoryContext, target: string): ConvKey {
  if (/^(#|group:|room:)/.test(target)) {
    const c = resolveConversation(m as Pick<GroupsContext, 'store'>, target);
    if (c.kind === 'room') return { conv: `room:${c.room}`, group: true, label: `#${c.room}` };
    return { conv: `#${c.group.gid}`, group: true, label: `#${c.group.record.name}` };
  }
  const name = normalizeUsername(target);
  return { conv: name, group: false, label: name };
}

/** `limit` as given, checked: 1..MAX_HISTORY_LIMIT. @throws {ChatError} USAGE. */
export function limitArg(limit: number | undefined): number {
  const n = limit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(n) || n < 1 || n > MAX_HISTORY_LIMIT)
    // `--limit abc` reaches here as NaN (yargs' number type): say what it was, not "NaN" (hunt2).
    throw new ChatError(
      'USAGE',
      `--limit takes a whole number from 1 to ${MAX_HISTORY_LIMIT}, got ${Number.isNaN(limit) ? 'something that is not a number' : limit}`,
    );
  return n;
}

/**
 * The newest `limit` messages of `target` (oldest first), or the `limit` before message `before`.
 * @throws {ChatError} as conversationKey; NO_SUCH_MESSAGE if `before` is not a message of that conversation.
 */
export function history(
  m: HistoryContext,
  target: string,
  options: { limit?: number; before?: string } = {},
): { conv: ConvKey; entries: HistoryEntry[] } {
  const key = conversationKey(m, target);
  const limit = limitArg(options.limit);
  let before;
  if (options.before !== undefined) {
    // A full id, or a unique prefix of one (as the text output shows them).
    const ref = options.before.toLowerCase();
    const ids = /^[0-9a-f]{8,31}$/.test(ref) ? m.store.history.idsWithPrefix(ref) : [ref];
    before = ids.length === 1 ? m.store.history.byId(ids[0]!) : undefined;
    if (!before || before.conv !== key.conv)
      throw new ChatError('NO_SUCH_MESSAGE', `no message ${options.before} in the conversation with ${key.label}`, {
        hint: `chat history ${target} lists the ids (the oldest first)`,
      });
  }
  const rows = m.store.history.page(key.conv, key.group, limit, before);
  return { conv: key, entries: rows.map((r) => entry(m, r, key.label)) };
}

/** Messages whose shown text contains `text` (case-insensitive for ASCII letters), newest first. */
/** The longest text `search` looks for, in UTF-16 units: more than any line anyone looks for, under SQLite's limit. */
export const MAX_SEARCH_CHARS = 1000;

export function search(m: HistoryContext, text: string, options: { in?: string; limit?: number } = {}): HistoryEntry[] {
  if (text.length === 0) throw new ChatError('USAGE', 'search for what? chat search <text>');
  // SQLite refuses a LIKE pattern over 50,000 bytes as an internal error, and a NUL cut the pattern short so that it
  // matched everything (hunt2): neither can be in what it is looking for anyway.
  if (text.length > MAX_SEARCH_CHARS)
    throw new ChatError('USAGE', `search text is ${text.length} characters; at most ${MAX_SEARCH_CHARS}`);
  if (text.includes('\0')) throw new ChatError('USAGE', 'search text cannot hold a NUL character');
  const key = options.in === undefined ? undefined : conversationKey(m, options.in);
  const rows = m.store.history.search(text, limitArg(options.limit), key && { conv: key.conv, group: key.group });
  const labels = new Map<string, string>();
  const label = (conv: string): string => {
    if (key) return key.label;
    if (!conv.startsWith('#') && !conv.startsWith('room:')) return conv;
    if (!labels.has(conv)) {
      const g = conv.startsWith('#') ? m.store.groups.get(conv.slice(1)) : undefined;
      labels.set(conv, g ? `#${g.record.name}` : `#${conv.replace(/^room:/, '')}`);
    }
    return labels.get(conv)!;
  };
  return rows.map((r) => entry(m, r, label(r.conv)));
}

function entry(m: HistoryContext, r: HistoryRow, conv: string): HistoryEntry {
  const e: HistoryEntry = {
    id: r.id,
    conv,
    from: r.sender ?? m.username,
    body: r.body,
    edited: r.editSeq > 0 && !r.deleted,
    deleted: r.deleted,
    reactions: r.reactions.map((x) => ({ from: x.author, emoji: x.emoji })),
    ts: r.ts,
    receivedAt: r.receivedAt,
  };
  if (r.replyTo !== null) {
    const t = quotedTarget(m.store.history, r.replyTo, r.conv);
    e.replyTo = t?.id ?? r.replyTo; // the local id once the target is in, as for a reply that came after it
    if (t) e.quote = quoteFrom(t, m.username);
  }
  if (r.versions.length > 0) e.versions = r.versions;
  if (r.state !== null) e.state = r.state;
  if (r.sender === '*') e.event = true;
  return e;
}
