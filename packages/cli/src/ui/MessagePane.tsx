import { Box, Text } from 'ink';
import type { PaneItem } from './controller.js';
import { rowsOf, visibleWindow } from './layout.js';
import { deliveryMark, displayName, displayText, nameColor, shortTime } from './text.js';

export interface MessagePaneProps {
  items: PaneItem[];
  me: string;
  width: number;
  height: number;
  /** Items scrolled up from the newest (0 = follow new messages). */
  offset: number;
  color: boolean;
}

/** One row per message: time, sender in a stable colour, the text made inert, and the delivery mark of ours. */
export function MessagePane({ items, me, width, height, offset, color }: MessagePaneProps) {
  const lines = items.map((it) => lineOf(it, me));
  const rows = lines.map((l) => rowsOf(l, width));
  const win = visibleWindow(rows, height - 1, offset);
  const shown = items.slice(win.start, win.end);
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      <Text dimColor>{win.above ? `↑ ${win.start} earlier (PgUp, Home)` : ' '}</Text>
      <Box flexDirection="column" flexGrow={1} justifyContent="flex-end">
        {shown.map((it) =>
          it.type === 'notice' ? (
            <Text key={it.key} {...(it.level === 'error' ? (color ? { color: 'red' } : { bold: true }) : { dimColor: true })}>
              {it.level === 'error' ? '! ' : '* '}
              {displayText(it.text)}
            </Text>
          ) : (
            <Text key={it.id}>
              <Text dimColor>{shortTime(it.ts)} </Text>
              <Text bold {...(nameColor(sender(it, me), color) ? { color: nameColor(sender(it, me), color) } : {})}>
                {displayName(sender(it, me))}
              </Text>
              <Text>: {indent(displayText(it.body))}</Text>
              {it.direction === 'out' ? <Text dimColor={it.state !== 'failed'} {...(it.state === 'failed' && color ? { color: 'red' } : {})}> {deliveryMark(it.state)}</Text> : null}
            </Text>
          ),
        )}
      </Box>
      {win.below ? <Text dimColor>↓ newer below (PgDn, End)</Text> : null}
    </Box>
  );
}

/** Continuation lines of a multi-line message start indented, so they do not read as new messages. */
const indent = (text: string): string => text.split('\n').join('\n  ');

const sender = (m: { direction: string; peer: string }, me: string): string => (m.direction === 'out' ? me : m.peer);

function lineOf(it: PaneItem, me: string): string {
  if (it.type === 'notice') return `* ${displayText(it.text)}`;
  return `${shortTime(it.ts)} ${displayName(sender(it, me))}: ${indent(displayText(it.body))}${it.direction === 'out' ? ` ${deliveryMark(it.state)}` : ''}`;
}
