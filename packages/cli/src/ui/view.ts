/** The screen's data, computed from the engine's store and the session state (controller.ts) after each change. */
import type { ConnectionStatus } from '../engine/events.js';
import type { ConversationSummary } from '../engine/store/outbox.js';
import type { SessionEngine } from '../session/engine.js';
import type { StoredMessage } from '../engine/store/store.js';

export interface Notice {
  key: string;
  ts: number;
  text: string;
  level: 'info' | 'error';
}

/** What edits, deletes, reactions and replies (PROTOCOL.md §17) left on a message, for the pane (messages-ui.ts). */
export interface MessageDecor {
  edited?: boolean;
  deleted?: boolean;
  reactions?: { from: string; emoji: string }[];
  /** A reply's target, quoted on one line and already made inert: `> alice: first line…`. */
  quote?: string;
  /** The sender's local nickname (chat nick), shown beside the username. */
  nick?: string;
}

export type PaneItem = ({ type: 'message' } & StoredMessage & MessageDecor) | ({ type: 'notice' } & Notice);

/** When an item happened as this client saw it: a message's receive time (not the sender's `ts`), a notice's time. */
export const paneTime = (it: PaneItem): number => (it.type === 'message' ? it.receivedAt : it.ts);
export const byPaneTime = (a: PaneItem, b: PaneItem): number => paneTime(a) - paneTime(b);

export interface ConversationRow {
  peer: string;
  unread: number;
  online: boolean;
  lastSeen: number | null;
  muted: boolean;
  typing: boolean;
}

export interface ChatView {
  me: string;
  current: string | undefined;
  conversations: ConversationRow[];
  items: PaneItem[];
  typing: string[];
  connection: ConnectionStatus;
  /** Why sending in the open conversation is blocked (a changed key), if it is. */
  blocked: string | undefined;
  users: string[];
  /** The open conversation's local nickname (chat nick), shown beside its name. */
  nick?: string;
  /** The open conversation's disappearing-message timer, in seconds, when on (§17.5). */
  timer?: number;
  /** History above / below `items` not held now (pager.ts): the pane reads it when scrolled there. */
  older?: boolean;
  newer?: boolean;
}

export interface SessionState {
  current: string | undefined;
  connection: ConnectionStatus;
  notices: ReadonlyMap<string, Notice[]>;
  clearedAt: ReadonlyMap<string, number>;
  /** peer → until when "is typing…" shows (ms). */
  typing: ReadonlyMap<string, number>;
  blocked: ReadonlyMap<string, string>;
  online: ReadonlySet<string>;
  /** The open conversation's held window of history (paging.ts), as pane items, and whether it reaches either end. */
  held: { items: PaneItem[]; atOldest: boolean; atNewest: boolean };
  /** The conversation rows as last read from the store (outbox.conversations), when still current. */
  summaries?: ConversationSummary[];
}

export function buildView(
  m: Pick<SessionEngine, 'store' | 'username' | 'history' | 'contacts'>,
  s: SessionState,
  now = Date.now(),
): ChatView {
  const rows = [...(s.summaries ?? m.store.outbox.conversations())];
  if (s.current && !rows.some((r) => r.peer === s.current))
    rows.unshift({ peer: s.current, unread: 0, lastTs: now, muted: false, lastSeen: null });
  const conversations = rows.map((r) => ({
    peer: r.peer,
    unread: r.peer === s.current ? 0 : r.unread,
    online: s.online.has(r.peer),
    lastSeen: r.lastSeen,
    muted: r.muted,
    typing: (s.typing.get(r.peer) ?? 0) > now,
  }));
  const key = s.current ?? '';
  const cleared = s.clearedAt.get(key) ?? 0;
  const { held } = s;
  // Notices join the held window where their time falls in it: all the newer ones when it ends with the newest.
  const from = held.atOldest ? -Infinity : ((held.items[0] && paneTime(held.items[0])) ?? -Infinity);
  const to = held.atNewest ? Infinity : ((held.items.at(-1) && paneTime(held.items.at(-1)!)) ?? Infinity);
  const notices: PaneItem[] = (s.notices.get(key) ?? [])
    .filter((n) => n.ts > cleared && n.ts >= from && n.ts <= to)
    .map((n) => ({ type: 'notice', ...n }));
  // Receive order (§4, "Order of the history"): a message where this client committed it, never where its sender's
  // clock puts it; a notice where it was written. The sort is stable: equal times keep the history's order.
  const items = notices.length === 0 ? held.items : [...held.items, ...notices].sort(byPaneTime);
  const users = [...new Set([...m.contacts().map((c) => c.username), ...rows.map((r) => r.peer), ...s.online])];
  return {
    me: m.username,
    current: s.current,
    conversations,
    items,
    typing: s.current && (s.typing.get(s.current) ?? 0) > now ? [s.current] : [],
    connection: s.connection,
    blocked: s.current ? s.blocked.get(s.current) : undefined,
    users,
    ...(held.atOldest ? {} : { older: true }),
    ...(held.atNewest ? {} : { newer: true }),
  };
}
