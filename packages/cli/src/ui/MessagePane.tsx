import { Box, Text } from 'ink';
import stringWidth from 'string-width';
import type { PaneItem } from './controller.js';
import { visibleWindow } from './layout.js';
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
}

/** One row per message: time, sender in a stable colour, the text made inert, and the delivery mark of ours. */
export function MessagePane({ items, me, width, height, offset, color }: MessagePaneProps) {
  const laid = items.map((it) => layOut(it, me, width));
  const win = visibleWindow(
    laid.map((l) => l.rows.length),
    height - 1,
    offset,
  );
  const shown = items.slice(win.start, win.end);
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      <Text dimColor>{win.above ? `↑ ${win.start} earlier (PgUp, Home)` : ' '}</Text>
      <Box flexDirection="column" flexGrow={1} justifyContent="flex-end">
        {shown.map((it, k) => {
          const { rows, mark } = laid[win.start + k]!;
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
          return (
            <Box key={it.id} flexDirection="column">
              {rows.map((r, i) => (
                <Text key={i}>
                  {i === 0 ? (
                    <>
                      <Text dimColor>{shortTime(it.receivedAt)} </Text>
                      <Text bold {...(hue ? { color: hue } : {})}>
                        {displayName(who)}
                      </Text>
                      <Text>: </Text>
                    </>
                  ) : (
                    INDENT
                  )}
                  <Text>{i === last && mark && r.endsWith(mark) ? r.slice(0, r.length - mark.length) : r}</Text>
                  {i === last && mark && r.endsWith(mark) ? (
                    <Text
                      dimColor={it.state !== 'failed'}
                      {...(it.state === 'failed' && color ? { color: 'red' } : {})}
                    >
                      {deliveryMark(it.state)}
                    </Text>
                  ) : null}
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

const sender = (m: { direction: string; peer: string }, me: string): string => (m.direction === 'out' ? me : m.peer);

/**
 * The rows of an item at `width`: the text after the prefix on the first row, the rest indented (wrap.ts). A prefix
 * that leaves too little room gets a row of its own. The delivery mark's spaces do not break (it stays whole).
 */
export function layOut(it: PaneItem, me: string, width: number): Laid {
  const prefix = it.type === 'notice' ? '* ' : `${shortTime(it.receivedAt)} ${displayName(sender(it, me))}: `;
  // An incoming message whose sender's clock is far from our receive time says so after the body (sender-time.ts).
  const note = it.type === 'message' && it.direction === 'in' ? senderTimeNote(it.ts, it.receivedAt) : undefined;
  const text = displayText(it.type === 'notice' ? it.text : it.body) + (note ? ` ${note}` : '');
  const mark =
    it.type === 'message' && it.direction === 'out' ? ` ${deliveryMark(it.state).replace(/ /g, '\u00a0')}` : '';
  const room = width - stringWidth(prefix);
  const rest = width - INDENT.length;
  if (room >= 4) return { prefix, rows: wrapRows(text + mark, room, rest), mark: mark.trimStart() };
  return { prefix, rows: ['', ...wrapRows(text + mark, rest, rest)], mark: mark.trimStart() };
}
