import { Box, Text } from 'ink';
import { displayName } from './text.js';

export interface InputLineProps {
  prompt: string;
  value: string;
  candidates: string[];
  typing: string[];
  width: number;
  disabled: boolean;
}

const MAX_SHOWN_LINES = 4;

/** Who is typing, the completion candidates, and the line being written (a pasted block shows its last lines). */
export function InputLine({ prompt, value, candidates, typing, width, disabled }: InputLineProps) {
  const lines = value.split('\n');
  // Names here come from the conversation list and the relay (typing, completion): made inert like everywhere else.
  const shownPrompt = displayName(prompt);
  const who = typing.map(displayName);
  const names = candidates.map(displayName);
  const shown = lines.slice(-MAX_SHOWN_LINES);
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor>
        {who.length > 0
          ? `${who.join(', ')} ${who.length > 1 ? 'are' : 'is'} typing…`
          : names.length > 0
            ? names.join('  ')
            : ' '}
      </Text>
      {lines.length > MAX_SHOWN_LINES ? (
        <Text dimColor>{`(${lines.length} lines; the first ${lines.length - MAX_SHOWN_LINES} hidden)`}</Text>
      ) : null}
      {shown.map((line, i) => (
        <Text key={i} wrap="truncate-start">
          <Text bold dimColor={disabled}>
            {i === 0 && lines.length <= MAX_SHOWN_LINES ? shownPrompt : ' '.repeat(shownPrompt.length)}
          </Text>
          <Text>{line}</Text>
          {i === shown.length - 1 ? <Text inverse> </Text> : null}
        </Text>
      ))}
    </Box>
  );
}
