import { Box, Text } from 'ink';
import { displayName, displayText } from './text.js';
import { displayWidth, wrapRows } from './wrap.js';

export interface InputLineProps {
  prompt: string;
  value: string;
  candidates: string[];
  typing: string[];
  width: number;
  /** The most rows the text may take (ChatApp: a third of the screen); past it the text scrolls to its end. */
  maxRows?: number;
  disabled: boolean;
}

/**
 * The rows of the input area's text at `width` columns after a prompt `promptWidth` wide: each line wrapped with a
 * hanging indent under the prompt, one column kept for the cursor; only the last `maxRows` when there are more (the
 * first of them then says how many are above). A pasted block of any size stays within the area.
 */
export function inputRows(
  value: string,
  promptWidth: number,
  width: number,
  maxRows: number,
): { rows: string[]; hidden: number } {
  const room = Math.max(1, width - promptWidth - 1);
  // Shown as it will be sent, made inert: a pasted escape sequence shows as text and never drives the terminal.
  const rows = value.split('\n').flatMap((line) => wrapRows(displayText(line), room, room));
  const limit = Math.max(1, maxRows);
  if (rows.length <= limit) return { rows, hidden: 0 };
  const shown = Math.max(1, limit - 1);
  return { rows: rows.slice(rows.length - shown), hidden: rows.length - shown };
}

/** How many rows the input area's text takes (InputLine draws this many, plus the typing row). */
export const inputHeight = (value: string, promptWidth: number, width: number, maxRows: number): number => {
  const { rows, hidden } = inputRows(value, promptWidth, width, maxRows);
  return rows.length + (hidden > 0 ? 1 : 0);
};

/** Who is typing, the completion candidates, and the text being written, its prompt (the recipient) always shown. */
export function InputLine({ prompt, value, candidates, typing, width, maxRows = 8, disabled }: InputLineProps) {
  // Names here come from the conversation list and the relay (typing, completion): made inert like everywhere else.
  const shownPrompt = displayName(prompt);
  const pw = displayWidth(shownPrompt);
  const who = typing.map(displayName);
  const names = candidates.map(displayName);
  const { rows, hidden } = inputRows(value, pw, width, maxRows);
  return (
    <Box flexDirection="column" width={width}>
      <Text dimColor wrap="truncate">
        {who.length > 0
          ? `${who.join(', ')} ${who.length > 1 ? 'are' : 'is'} typing…`
          : names.length > 0
            ? names.join('  ')
            : ' '}
      </Text>
      {hidden > 0 ? (
        <Text wrap="truncate">
          <Text bold dimColor={disabled}>
            {shownPrompt}
          </Text>
          <Text dimColor>{`↑ ${hidden} more ${hidden === 1 ? 'row' : 'rows'} above`}</Text>
        </Text>
      ) : null}
      {rows.map((row, i) => (
        <Text key={i} wrap="truncate">
          <Text bold dimColor={disabled}>
            {i === 0 && hidden === 0 ? shownPrompt : ' '.repeat(pw)}
          </Text>
          <Text>{row}</Text>
          {i === rows.length - 1 ? <Text inverse> </Text> : null}
        </Text>
      ))}
    </Box>
  );
}
