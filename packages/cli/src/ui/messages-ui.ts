/**
 * Replies, edits, deletes, reactions, search and blocking in the interactive session (PROTOCOL.md §17), over the same
 * engine calls as `chat send --reply-to`, `chat edit`, `chat delete`, `chat react`, `chat search` and `chat block`;
 * and what the pane shows of them: a reply's quoted target above it, `(edited)`, reactions under the message.
 */
import { search } from '../engine/actions/history.js';
import { locate } from '../engine/actions/send.js';
import { ChatError } from '../engine/errors.js';
import type { SessionEngine } from '../session/engine.js';
import { blockedText, unblockedText } from '../commands/block.js';
import { formatEntry, shortId } from '../commands/history-format.js';
import { formatDuration, parseDuration } from '../engine/expire/duration.js';
import { storeConv } from './groups-ui.js';
import { expandShortcodes } from './text.js';
import type { ChatView, PaneItem } from './view.js';

export type MessageAction =
  | { kind: 'reply'; id?: string; text: string }
  | { kind: 'edit'; id: string; text: string }
  | { kind: 'delete'; id: string; forMe: boolean }
  | { kind: 'react'; id: string; emoji: string }
  | { kind: 'search'; text: string }
  | { kind: 'expire'; duration?: string }
  | { kind: 'block' | 'unblock'; user: string };

/** What these commands need of the session. */
export interface MessageHost {
  readonly m: SessionEngine;
  readonly current: string | undefined;
  notice(text: string, level: 'info' | 'error', peer?: string): void;
  /** Sends `text` to `to` as the session sends a line, as a reply to message `replyTo` (a full id). */
  send(to: string, text: string, replyTo: string): void;
  /** The history changed under the pane: draw it again. */
  refresh(): void;
}

/** What the pane and the lookups read: the local database. */
type Reader = Pick<SessionEngine, 'store' | 'username'>;

/** The most results `/search` shows (newest first); `chat search --limit` goes further. */
export const SEARCH_SHOWN = 20;

const why = (err: unknown): string =>
  err instanceof ChatError
    ? `${err.message}${err.hint ? ` (${err.hint})` : ''}`
    : err instanceof Error
      ? err.message
      : String(err);

export async function messageCommand(host: MessageHost, a: MessageAction): Promise<void> {
  const m = host.m;
  try {
    switch (a.kind) {
      case 'reply': {
        const conv = host.current;
        if (!conv) return host.notice('no conversation open: /open <user> first', 'error');
        const id = a.id === undefined ? lastFrom(m, conv, 'them') : inConversation(m, a.id, conv);
        if (id === undefined) return host.notice(`nothing from the other side here to reply to`, 'error');
        return host.send(conv, a.text, id);
      }
      case 'edit':
        await m.ops.editMessage({ id: a.id, message: expandShortcodes(a.text) });
        return host.refresh();
      case 'delete': {
        const out = await m.ops.deleteMessage({ id: a.id, forMe: a.forMe });
        for (const f of out.failed) host.notice(`not delivered to ${f.to}: ${f.code}`, 'error');
        return host.refresh();
      }
      case 'react': {
        const out = await m.ops.react({ id: a.id, emoji: expandShortcodes(a.emoji) });
        for (const f of out.failed) host.notice(`not delivered to ${f.to}: ${f.code}`, 'error');
        return host.refresh();
      }
      case 'search': {
        const lines = searchLines(m, a.text);
        if (lines.length === 0) return host.notice(`no message contains ${JSON.stringify(a.text)}`, 'info');
        const more = lines.length === SEARCH_SHOWN ? ` (the newest ${SEARCH_SHOWN}: chat search shows more)` : '';
        return host.notice(`search ${JSON.stringify(a.text)}${more}:\n${lines.join('\n')}`, 'info');
      }
      case 'expire':
        return await expireCommand(host, a.duration);
      case 'block':
      case 'unblock': {
        if (a.kind === 'block') {
          const changed = m.store.blocked.block(a.user, Date.now());
          const text = blockedText(a.user, changed, m.store.blocked.queuedFor(a.user).length);
          return host.notice(`${text} (/unblock ${a.user})`, 'info');
        }
        const changed = m.store.blocked.unblock(a.user);
        host.notice(unblockedText(a.user, changed, m.store.blocked.queuedFor(a.user).length), 'info');
        // What was held for them goes now.
        if (changed) await m.ops.flushOutbox({});
        return;
      }
    }
  } catch (err) {
    host.notice(why(err), 'error');
  }
}

/** `/expire [duration|off]`: shows or sets the open conversation's timer (PROTOCOL.md §17.5). */
async function expireCommand(host: MessageHost, duration: string | undefined): Promise<void> {
  const conv = host.current;
  if (!conv) return host.notice('no conversation open: /open <user> first', 'error');
  if (duration === undefined) {
    const seconds = timerOf(host.m, conv);
    return host.notice(
      seconds === 0
        ? 'disappearing messages are off here (/expire 1h turns them on)'
        : `disappearing messages here: ${formatDuration(seconds)}`,
      'info',
    );
  }
  const out = await host.m.ops.setTimer({ recipient: conv, seconds: parseDuration(duration) });
  for (const f of out.failed) host.notice(`not delivered to ${f.to}: ${f.code}`, 'error');
  // The announcement is a line of the conversation's history (expire/timers.ts), in the pane once it redraws.
  host.refresh();
}

/** The timer in force in the conversation `current` (seconds; 0: off). */
export function timerOf(m: Reader, current: string): number {
  const key = storeConv(m, current);
  return (key && m.store.timers.get(key.conv)?.seconds) ?? 0;
}

/** The full id of message `id` (a unique prefix), checked to be in `conv`. @throws {ChatError} NO_SUCH_MESSAGE, … */
function inConversation(m: Reader, id: string, conv: string): string {
  const at = locate(m, id);
  if (at.conv !== conv)
    throw new ChatError('NO_SUCH_MESSAGE', `message ${shortId(at.target.id)} is not in this conversation`, {
      hint: `it is in ${at.conv}`,
    });
  return at.target.id;
}

/** The newest message in `current` (not deleted) by the other side (`them`) or by us (`me`), as a full id. */
function lastFrom(m: Reader, current: string, who: 'them' | 'me'): string | undefined {
  const key = storeConv(m, current);
  if (!key) return undefined;
  const rows = m.store.history.page(key.conv, key.group, 200);
  for (let i = rows.length - 1; i >= 0; i--) {
    const r = rows[i]!;
    if (r.deleted || r.sender === '*') continue;
    const mine = r.sender === null || r.sender === m.username;
    if (mine === (who === 'me')) return r.id;
  }
  return undefined;
}

/** Up on an empty input line: `/edit <id> <text>` of our last message in `current`, ready to change and send. */
export function editLastLine(m: Reader, current: string | undefined): string | undefined {
  if (!current) return undefined;
  const id = lastFrom(m, current, 'me');
  const t = id === undefined ? undefined : m.store.history.byId(id);
  return t && `/edit ${shortId(t.id)} ${t.body}`;
}

/**
 * `/search`: the newest SEARCH_SHOWN matches, oldest first, as `chat search` prints them: with the quote the engine
 * resolved inside each entry's own conversation (§17.1), never a lookup of the reply's target by id alone.
 */
export function searchLines(m: Reader, text: string): string[] {
  return search(m, text, { limit: SEARCH_SHOWN })
    .reverse()
    .map((e) => formatEntry(e, () => e.quote, undefined, true));
}

/** Local nicknames (chat nick) beside the senders and the open conversation's name. */
function withNicknames(m: Reader, v: ChatView): ChatView {
  const nicks = m.store.nicknames.all();
  if (nicks.size === 0) return v;
  const items = v.items.map((it): PaneItem => {
    if (it.type !== 'message') return it;
    const nick = nicks.get(it.direction === 'out' ? m.username : it.peer);
    return nick === undefined ? it : { ...it, nick };
  });
  const nick = v.current === undefined ? undefined : nicks.get(v.current);
  return { ...v, items, ...(nick === undefined ? {} : { nick }) };
}

/**
 * The open conversation's name and senders with their nicknames, and its timer. What §17 left on each message
 * (`(edited)`, deleted, reactions, a reply's quote) comes with the held window's rows (paging.ts).
 */
export function decorateView(m: Reader, view: ChatView): ChatView {
  const timer = view.current === undefined ? 0 : timerOf(m, view.current);
  return { ...withNicknames(m, view), ...(timer > 0 ? { timer } : {}) };
}
