import { Box, Text } from 'ink';
import type { ConversationRow } from './controller.js';
import { displayName, nameColor } from './text.js';

export interface ConversationListProps {
  rows: ConversationRow[];
  current: string | undefined;
  width: number;
  height: number;
  color: boolean;
}

/** The conversations, newest first: presence dot (● online, ○ not), name, unread count, typing and mute marks. */
export function ConversationList({ rows, current, width, height, color }: ConversationListProps) {
  const shown = rows.slice(0, Math.max(1, height - 1));
  return (
    <Box
      flexDirection="column"
      width={width}
      borderStyle="single"
      borderTop={false}
      borderBottom={false}
      borderLeft={false}
      paddingRight={1}
    >
      <Text bold>Chats</Text>
      {shown.length === 0 ? <Text dimColor>(none yet)</Text> : null}
      {shown.map((r) => {
        const here = r.peer === current;
        const marks = `${r.typing ? '…' : ''}${r.muted ? '~' : ''}${r.unread > 0 ? ` ${r.unread > 99 ? '99+' : r.unread}` : ''}`;
        return (
          <Box key={r.peer}>
            <Text {...(color ? { color: r.online ? 'green' : 'gray' } : {})}>{r.online ? '●' : '○'} </Text>
            <Box flexGrow={1}>
              <Text
                wrap="truncate"
                inverse={here}
                bold={here || r.unread > 0}
                {...(nameColor(r.peer, color) ? { color: nameColor(r.peer, color) } : {})}
              >
                {displayName(r.peer)}
              </Text>
            </Box>
            <Text bold={r.unread > 0}>{marks}</Text>
          </Box>
        );
      })}
    </Box>
  );
}
