import { Box, Text } from 'ink';
import type { ConnectionStatus } from '../engine/messenger.js';

export interface StatusBarProps {
  me: string;
  relay: string;
  connection: ConnectionStatus;
  width: number;
  color: boolean;
}

export function connectionText(s: ConnectionStatus): string {
  switch (s.state) {
    case 'online':
      return 'online';
    case 'connecting':
      return s.attempt > 1 ? `reconnecting… (attempt ${s.attempt})` : 'connecting…';
    case 'reconnecting':
      return `reconnecting… retry in ${Math.max(1, Math.round(s.retryInMs / 1000))} s (${s.error.code})`;
    case 'stopped':
      return 'offline (/connect)';
    case 'failed':
      return `offline: ${s.error.code}`;
  }
}

/** One line: who and where we are, the connection state (inverse when not online), and the help hint. */
export function StatusBar({ me, relay, connection, width, color }: StatusBarProps) {
  const ok = connection.state === 'online';
  return (
    <Box width={width}>
      <Box flexShrink={0}>
        <Text inverse={!ok} bold={!ok} {...(color ? { color: ok ? 'green' : 'yellow' } : {})}>
          {` ${connectionText(connection)} `}
        </Text>
      </Box>
      <Box flexGrow={1}>
        <Text wrap="truncate">{` ${me}@${relay}`}</Text>
      </Box>
      <Box flexShrink={0}>
        <Text dimColor>/help · Ctrl-C quits</Text>
      </Box>
    </Box>
  );
}
