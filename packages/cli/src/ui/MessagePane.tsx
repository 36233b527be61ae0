import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { PaneItem } from './controller.js';
import { type Position, type Rows, viewport } from './layout.js';
import { shortId } from '../commands/history-format.js';
import { deliveryMark, displayName, displayText, nameColor, shortTime } from './text.js';
import { displayWidth, wrapRows } from './wrap.js';
import { senderTimeNote } from '../sender-time.js';

export interface MessagePaneProps {
  items: PaneItem[];
  me: string;
  width: number;
  height: number;
  /** The bottom row shown (layout.ts); undefined: the newest, followed as messages arrive. */
  position?: Position | undefined;
  /** More history above / below the items given (pager.ts), not read yet. */
  older?: boolean;
  newer?: boolean;
  color: boolean;
}

/** Every row of an item but its first starts this far in: only a new item starts at column 0. */
const INDENT = '  ';

/** An item laid out in rows: the prefix (time and sender, or the notice mark) on the first, a hanging indent after. */
export interface Laid {
  prefix: string;
  rows: string[];
  /** The delivery mark our own messages end with (on the last row), its spaces made non-breaking for the wrap. */
  mark: string;
  /** The message's short id, `[1a2b3c4d]`, last: what /reply, /edit, /delete and /react take. It may wrap alone. */
  tag: string;
  /** A reply's quoted target, above the message (PROTOCOL.md §17.1). */
  above: string[];
  /** Its reactions, under it. */
  below: string[];
}

/** The rows the pane's body has: all but the marker rows above and below. */
export const bodyRows = (height: number): number => Math.max(1, height - 2);

export const itemKey = (it: PaneItem): string => (it.type === 'message' ? it.id : it.key);

/** The items laid out at `width`, and their keys and row counts for layout.ts. */
export function layItems(items: readonly PaneItem[], me: string, width: number): { laid: Laid[]; rows: Rows } {
  const laid = items.map((it) => layOutCached(it, me, width));
  return {
    laid,
    rows: { keys: items.map(itemKey), counts: laid.map((l) => l.above.length + l.rows.length + l.below.length) },
  };
}

/**
 * The visible rows of the held items and nothing else: a message cut off at the top shows only its rows that fit (no
 * row is drawn over another), and one taller than the pane is read by scrolling rows (PgUp, PgDn, Shift+Up/Down).
 */
export function MessagePane({ items, me, width, height, position, older, newer, color }: MessagePaneProps) {
  const { laid, rows } = layItems(items, me, width);
  const body = bodyRows(height);
  const win = viewport(rows, position, body);
  const shown: ReactNode[] = [];
  let at = 0;
  for (let k = 0; k < items.length && at <= win.bottom; k++) {
    const n = rows.counts[k] ?? 0;
    if (at + n > win.top) {
      const it = items[k]!;
      const l = laid[k]!;
      for (let i = Math.max(0, win.top - at); i < n && at + i <= win.bottom; i++)
        shown.push(<Row key={`${rows.keys[k]}:${i}`} it={it} laid={l} index={i} me={me} color={color} />);
    }
    at += n;
  }
  const more = win.below > 0 || newer;
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      <Text dimColor wrap="truncate">
        {win.above > 0 || older ? `↑ ${win.above}${older ? '+' : ''} earlier lines (PgUp, Home)` : ' '}
      </Text>
      <Box flexDirection="column" height={body} justifyContent="flex-end">
        {shown}
      </Box>
      <Text dimColor wrap="truncate">
        {more ? `↓ ${win.below}${newer ? '+' : ''} more lines (PgDn, End)` : ' '}
      </Text>
    </Box>
  );
}

/** Row `index` of an item: a quote row, a text row (the first with the prefix), or a reaction row. */
function Row({ it, laid, index, me, color }: { it: PaneItem; laid: Laid; index: number; me: string; color: boolean }) {
  const { above, rows, below, mark, tag } = laid;
  if (index < above.length || index >= above.length + rows.length) {
    const r = index < above.length ? above[index] : below[index - above.length - rows.length];
    return (
      <Text dimColor wrap="truncate">
        {INDENT}
        {r}
      </Text>
    );
  }
  const i = index - above.length;
  const r = rows[i] ?? '';
  if (it.type === 'notice') {
    const style = it.level === 'error' ? (color ? { color: 'red' } : { bold: true }) : { dimColor: true };
    return (
      <Text {...style} wrap="truncate">
        {i === 0 ? (it.level === 'error' ? '! ' : '* ') : INDENT}
        {r}
      </Text>
    );
  }
  const who = sender(it, me);
  const hue = nameColor(who, color);
  const last = rows.length - 1;
  return (
    <Text wrap="truncate">
      {i === 0 ? (
        <>
          <Text dimColor>{shortTime(it.receivedAt)} </Text>
          <Text bold {...(hue ? { color: hue } : {})}>
            {displayName(label(it, who))}
          </Text>
          <Text>: </Text>
        </>
      ) : (
        INDENT
      )}
      {i === last || (i === last - 1 && rows[last] === tag) ? (
        // The short id may have wrapped onto a row of its own: the mark then ends the row before.
        <LastRow
          row={r}
          mark={mark}
          tag={i === last ? tag : ''}
          deleted={it.deleted === true}
          failed={it.state === 'failed'}
          color={color}
        />
      ) : (
        <Text italic={it.deleted === true}>{r}</Text>
      )}
    </Text>
  );
}

/** A message's last row: its text, then the delivery mark and the short id, dim (a failed mark red). */
function LastRow(p: { row: string; mark: string; tag: string; deleted: boolean; failed: boolean; color: boolean }) {
  let text = p.row.replace(/\u00a0/g, ' ');
  const tag = p.tag && text.endsWith(p.tag) ? p.tag : '';
  text = text.slice(0, text.length - tag.length);
  const wanted = p.mark.replace(/\u00a0/g, ' ');
  const mark = wanted && text.trimEnd().endsWith(wanted) ? wanted : '';
  if (mark) text = text.trimEnd().slice(0, -mark.length);
  return (
    <>
      <Text italic={p.deleted}>{text}</Text>
      {mark ? (
        <Text dimColor={!p.failed} {...(p.failed && p.color ? { color: 'red' } : {})}>
          {mark}
        </Text>
      ) : null}
      {tag ? <Text dimColor>{`${mark ? ' ' : ''}${tag}`}</Text> : null}
    </>
  );
}

const sender = (m: { direction: string; peer: string }, me: string): string => (m.direction === 'out' ? me : m.peer);

/** The sender with their local nickname beside the username (chat nick), never instead of it. */
const label = (m: { nick?: string }, who: string): string => (m.nick === undefined ? who : `${who} (${m.nick})`);

/**
 * The rows of an item at `width`: the text after the prefix on the first row, the rest indented (wrap.ts). A prefix
 * that leaves too little room gets a row of its own. The delivery mark's spaces do not break (it stays whole).
 */
export function layOut(it: PaneItem, me: string, width: number): Laid {
  const prefix =
    it.type === 'notice' ? '* ' : `${shortTime(it.receivedAt)} ${displayName(label(it, sender(it, me)))}: `;
  // An incoming message whose sender's clock is far from our receive time says so after the body (sender-time.ts).
  const note = it.type === 'message' && it.direction === 'in' ? senderTimeNote(it.ts, it.receivedAt) : undefined;
  const edited = it.type === 'message' && it.edited ? ' (edited)' : '';
  const text = displayText(it.type === 'notice' ? it.text : it.body) + edited + (note ? ` ${note}` : '');
  const mark =
    it.type === 'message' && it.direction === 'out' ? ` ${deliveryMark(it.state).replace(/ /g, '\u00a0')}` : '';
  const tag = it.type === 'message' ? `[${shortId(it.id)}]` : '';
  const tail = `${mark}${tag ? ` ${tag}` : ''}`;
  const rest = width - INDENT.length;
  const above = it.type === 'message' && it.quote ? wrapRows(it.quote, rest, rest).slice(0, 1) : [];
  const below =
    it.type === 'message' && it.reactions && it.reactions.length > 0
      ? wrapRows(it.reactions.map((r) => `${displayName(r.emoji)} ${displayName(r.from)}`).join('  '), rest, rest)
      : [];
  const room = width - displayWidth(prefix);
  const m = mark.trimStart();
  if (room >= 4) return { prefix, rows: wrapRows(text + tail, room, rest), mark: m, tag, above, below };
  return { prefix, rows: ['', ...wrapRows(text + tail, rest, rest)], mark: m, tag, above, below };
}

/**
 * Laid-out items by what decides their rows, so scrolling through a held window re-wraps nothing. Bounded: the
 * oldest entries go first once it holds more than a few windows' worth.
 */
const laidCache = new Map<string, Laid>();
const CACHE_MAX = 2_000;

function layOutCached(it: PaneItem, me: string, width: number): Laid {
  const k =
    it.type === 'notice'
      ? `n\0${width}\0${it.key}\0${it.text}`
      : `m\0${width}\0${me}\0${it.id}\0${it.receivedAt}\0${it.ts}\0${it.body}\0${it.state}\0${it.edited}\0${it.nick}\0${it.quote}\0${JSON.stringify(it.reactions ?? [])}`;
  const hit = laidCache.get(k);
  if (hit) return hit;
  const l = layOut(it, me, width);
  if (laidCache.size >= CACHE_MAX) laidCache.delete(laidCache.keys().next().value as string);
  laidCache.set(k, l);
  return l;
}
