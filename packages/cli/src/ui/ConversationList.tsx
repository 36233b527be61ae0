import { Box, Text } from 'ink';
import type { ListRow } from './conversations-ui.js';
import { displayName, nameColor } from './text.js';

export interface ConversationListProps {
  rows: ListRow[];
  current: string | undefined;
  width: number;
  height: number;
  color: boolean;
}

/**
 * The conversations, newest first: presence dot (● online, ○ not), name with the local nickname beside it, unread
 * count, typing and mute marks, and `!key` when the contact's key changed (§3.4) — outside the truncated name, so a
 * long name never hides it.
 */
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
                {displayName(r.nick === undefined ? r.peer : `${r.peer} (${r.nick})`)}
              </Text>
            </Box>
            <Text bold={r.unread > 0}>{marks}</Text>
            {r.keyChanged ? <Text {...(color ? { color: 'red' } : {})}> !key</Text> : null}
          </Box>
        );
      })}
    </Box>
  );
}
