/**
 * The open conversation's history as the pane holds it (issue 15, "A long history"): a `Pager` over the store's
 * keyset pages (history.ts `range`), and its rows as pane items with what §17 left on them (edited, deleted,
 * reactions, a reply's quote). Only the held window is ever read or decorated, whatever the history's length.
 */
import { quoteLine } from '../commands/history-format.js';
import { quoteOf } from '../engine/actions/history.js';
import type { SessionEngine } from '../session/engine.js';
import type { HistoryRow } from '../engine/store/history.js';
import type { MessageState } from '../engine/store/types.js';
import { storeConv } from './groups-ui.js';
import { Pager } from './pager.js';
import type { PaneItem } from './view.js';

/** Rows per page read from the store, and the most the session holds at once. */
export const PAGE_ROWS = 100;
export const WINDOW_ROWS = 400;

/** A pager over conversation `current` (a user or `#name`), of the rows received after `since` (/clear). */
export function historyPager(m: Pick<SessionEngine, 'store'>, current: string, since: number): Pager<HistoryRow> {
  const conv = storeConv(m, current);
  const at = (r: HistoryRow | undefined) => r && { receivedAt: r.receivedAt, seq: r.seq };
  return new Pager<HistoryRow>(
    {
      newest: (limit, k) =>
        conv ? m.store.history.range(conv, 'newest', limit, { since, ...(k ? { key: at(k) } : {}) }) : [],
      oldest: (limit, k, inclusive) =>
        conv ? m.store.history.range(conv, 'oldest', limit, { since, ...(k ? { key: at(k), inclusive } : {}) }) : [],
    },
    PAGE_ROWS,
    WINDOW_ROWS,
  );
}

/**
 * The pane items of history rows: messages, and `*` rows as notices: a group's membership changes and timers, and a
 * 1:1 conversation's timer lines (state `event`).
 */
export function paneItems(m: Pick<SessionEngine, 'store' | 'username'>, rows: readonly HistoryRow[]): PaneItem[] {
  return rows.map((r): PaneItem => {
    if (r.sender === '*')
      return {
        type: 'notice',
        key: `${r.table === 'messages' ? 'e' : 'g'}${r.id}`,
        ts: r.receivedAt,
        text: r.body,
        level: 'info',
      };
    const quote =
      r.replyTo === null
        ? {}
        : { quote: quoteLine(quoteOf(m.store.history, r.replyTo, r.conv, m.username), r.replyTo).trimStart() };
    return {
      type: 'message',
      id: r.id,
      peer: r.table === 'messages' ? r.conv : (r.sender ?? m.username),
      direction: r.direction ?? 'in',
      // Deleted for everyone (§17.3): the text is gone; what the session shows in its place.
      body: r.deleted ? 'message deleted' : r.body,
      ts: r.ts,
      relayTs: r.relayTs,
      receivedAt: r.receivedAt,
      state: r.state as MessageState | null,
      edited: r.editSeq > 0 && !r.deleted,
      deleted: r.deleted,
      reactions: r.reactions.map((x) => ({ from: x.author, emoji: x.emoji })),
      ...quote,
    };
  });
}
