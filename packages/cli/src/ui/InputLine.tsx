import { Box, Text } from 'ink';

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
  const shown = lines.slice(-MAX_SHOWN_LINES);
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor>{typing.length > 0 ? `${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…` : candidates.length > 0 ? candidates.join('  ') : ' '}</Text>
      {lines.length > MAX_SHOWN_LINES ? <Text dimColor>{`(${lines.length} lines; the first ${lines.length - MAX_SHOWN_LINES} hidden)`}</Text> : null}
      {shown.map((line, i) => (
        <Text key={i} wrap="truncate-start">
          <Text bold dimColor={disabled}>{i === 0 && lines.length <= MAX_SHOWN_LINES ? prompt : ' '.repeat(prompt.length)}</Text>
          <Text>{line}</Text>
          {i === shown.length - 1 ? <Text inverse> </Text> : null}
        </Text>
      ))}
    </Box>
  );
}
