import { Box, Text } from 'ink';
import stringWidth from 'string-width';
import type { PaneItem } from './controller.js';
import { visibleWindow } from './layout.js';
import { shortId } from '../commands/history-format.js';
import { deliveryMark, displayName, displayText, nameColor, shortTime } from './text.js';
import { wrapRows } from './wrap.js';
import { senderTimeNote } from '../sender-time.js';

export interface MessagePaneProps {
  items: PaneItem[];
  me: string;
  width: number;
  height: number;
  /** Items scrolled up from the newest (0 = follow new messages). */
  offset: number;
  color: boolean;
}

/** Every row of an item but its first starts this far in: only a new item starts at column 0. */
const INDENT = '  ';

/** An item laid out in rows: the prefix (time and sender, or the notice mark) on the first, a hanging indent after. */
interface Laid {
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

/** One row per message: time, sender in a stable colour, the text made inert, and the delivery mark of ours. */
export function MessagePane({ items, me, width, height, offset, color }: MessagePaneProps) {
  const laid = items.map((it) => layOut(it, me, width));
  const win = visibleWindow(
    laid.map((l) => l.above.length + l.rows.length + l.below.length),
    height - 1,
    offset,
  );
  const shown = items.slice(win.start, win.end);
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      <Text dimColor>{win.above ? `↑ ${win.start} earlier (PgUp, Home)` : ' '}</Text>
      <Box flexDirection="column" flexGrow={1} justifyContent="flex-end">
        {shown.map((it, k) => {
          const { rows, mark, tag } = laid[win.start + k]!;
          const last = rows.length - 1;
          if (it.type === 'notice') {
            const style = it.level === 'error' ? (color ? { color: 'red' } : { bold: true }) : { dimColor: true };
            return (
              <Box key={it.key} flexDirection="column">
                {rows.map((r, i) => (
                  <Text key={i} {...style}>
                    {i === 0 ? (it.level === 'error' ? '! ' : '* ') : INDENT}
                    {r}
                  </Text>
                ))}
              </Box>
            );
          }
          const who = sender(it, me);
          const hue = nameColor(who, color);
          const { above, below } = laid[win.start + k]!;
          return (
            <Box key={it.id} flexDirection="column">
              {above.map((r, i) => (
                <Text key={`q${i}`} dimColor>
                  {INDENT}
                  {r}
                </Text>
              ))}
              {rows.map((r, i) => (
                <Text key={i}>
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
              ))}
              {below.map((r, i) => (
                <Text key={`r${i}`} dimColor>
                  {INDENT}
                  {r}
                </Text>
              ))}
            </Box>
          );
        })}
      </Box>
      {win.below ? <Text dimColor>↓ newer below (PgDn, End)</Text> : null}
    </Box>
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
  const room = width - stringWidth(prefix);
  const m = mark.trimStart();
  if (room >= 4) return { prefix, rows: wrapRows(text + tail, room, rest), mark: m, tag, above, below };
  return { prefix, rows: ['', ...wrapRows(text + tail, rest, rest)], mark: m, tag, above, below };
}
