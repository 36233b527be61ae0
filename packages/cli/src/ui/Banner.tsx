import { Box, Text } from 'ink';
import { displayName } from './text.js';

export interface BannerProps {
  peer: string;
  color: boolean;
  width: number;
}

/** Shown in a conversation whose contact's key changed (PROTOCOL.md §3.4): sending there is blocked. */
export function Banner({ peer: rawPeer, color, width }: BannerProps) {
  const peer = displayName(rawPeer);
  return (
    <Box
      borderStyle="double"
      {...(color ? { borderColor: 'red' } : {})}
      width={width}
      flexDirection="column"
      flexShrink={0}
      paddingX={1}
    >
      <Text bold wrap="truncate" {...(color ? { color: 'red' } : {})}>
        {`${peer}'s key has changed: sending is blocked`}
      </Text>
      <Text wrap="truncate">{`Compare: /verify ${peer}; accept: /trust ${peer}`}</Text>
    </Box>
  );
}
