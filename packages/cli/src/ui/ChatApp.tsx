/** The session's screen: conversation list | banner, message pane, input line | status bar. Wires hooks to views. */
import { Box, Text } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { formatDuration } from '../engine/expire/duration.js';
import { Banner } from './Banner.js';
import { ConversationList } from './ConversationList.js';
import type { ChatController } from './controller.js';
import { InputLine } from './InputLine.js';
import { MessagePane } from './MessagePane.js';
import { StatusBar } from './StatusBar.js';
import { ago, displayName, expandShortcodes } from './text.js';
import { useChat } from './useChat.js';
import { useInputLine } from './useInputLine.js';
import { useTerminalSize } from './useTerminalSize.js';

export interface ChatAppProps {
  controller: ChatController;
  relay: string;
  color: boolean;
  onQuit(): void;
}

export function ChatApp({ controller, relay, color, onQuit }: ChatAppProps) {
  const view = useChat(controller);
  const { columns, rows } = useTerminalSize();
  const [offset, setOffset] = useState(0);
  const current = useRef(view.current);
  useEffect(() => {
    if (current.current !== view.current) setOffset(0);
    current.current = view.current;
  }, [view.current]);

  const listWidth = columns >= 60 ? Math.min(22, Math.floor(columns / 4)) : 0;
  const paneWidth = Math.max(10, columns - listWidth - 1);
  const page = Math.max(1, Math.floor(rows / 3));
  const line = useInputLine({
    onSubmit: (l) => {
      setOffset(0);
      controller.submit(l);
    },
    onChange: (v) => controller.composing(v),
    onScroll: (k) =>
      setOffset((o) => {
        const max = Math.max(0, view.items.length - 1);
        if (k === 'pageUp') return Math.min(max, o + page);
        if (k === 'pageDown') return Math.max(0, o - page);
        return k === 'home' ? max : 0;
      }),
    onCycle: (step) => controller.cycle(step),
    onQuit,
    users: () => view.users,
    editLast: () => controller.editLast(),
  });

  const inputLines = Math.min(line.value.split('\n').length, 4) + (line.value.split('\n').length > 4 ? 1 : 0);
  const bannerRows = view.blocked && view.current ? 4 : 0;
  // One row less than the terminal: Ink redraws in place only while its output is shorter than the screen.
  const height = Math.max(8, rows - 1);
  const paneHeight = Math.max(3, height - 1 /* status */ - 1 /* typing */ - inputLines - bannerRows - 1 /* header */);
  const peer = view.current;
  const presence = peer
    ? presenceText(
        view.conversations.find((c) => c.peer === peer),
        peer === view.me,
      )
    : '';

  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Box flexGrow={1}>
        {listWidth > 0 ? (
          <ConversationList
            rows={view.conversations}
            current={peer}
            width={listWidth}
            height={height - 2 - inputLines}
            color={color}
          />
        ) : null}
        <Box flexDirection="column" width={paneWidth} paddingLeft={1}>
          <Text bold wrap="truncate">
            {peer ? displayName(view.nick === undefined ? peer : `${peer} (${view.nick})`) : 'no conversation'}
            <Text dimColor>{presence ? ` · ${presence}` : ''}</Text>
            {view.timer ? <Text dimColor>{` · disappearing ${formatDuration(view.timer)}`}</Text> : null}
          </Text>
          {view.blocked && peer ? <Banner peer={peer} color={color} width={paneWidth - 1} /> : null}
          <MessagePane
            items={view.items}
            me={view.me}
            width={paneWidth - 1}
            height={paneHeight}
            offset={offset}
            color={color}
          />
        </Box>
      </Box>
      <InputLine
        prompt={peer ? `${peer}> ` : '> '}
        value={expandShortcodes(line.value)}
        candidates={line.candidates}
        typing={view.typing}
        width={columns}
        disabled={Boolean(view.blocked)}
      />
      <StatusBar me={view.me} relay={relay} connection={view.connection} width={columns} color={color} />
    </Box>
  );
}

function presenceText(
  row: { online: boolean; lastSeen: number | null; muted: boolean } | undefined,
  self: boolean,
): string {
  if (self) return 'notes to self';
  const muted = row?.muted ? ' · muted' : '';
  if (row?.online) return `online${muted}`;
  return `${row?.lastSeen ? `last seen ${ago(row.lastSeen)}` : 'offline'}${muted}`;
}
