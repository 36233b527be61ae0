/** The session's screen: conversation list | banner, message pane, input line | status bar. Wires hooks to views. */
import { Box, Text } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { formatDuration } from '../engine/expire/duration.js';
import { Banner } from './Banner.js';
import { ConversationList } from './ConversationList.js';
import type { ChatController } from './controller.js';
import { InputLine, inputHeight } from './InputLine.js';
import { type Position, type Scrollable, scrollBy, topPosition } from './layout.js';
import { MessagePane, bodyRows, layItems } from './MessagePane.js';
import { StatusBar } from './StatusBar.js';
import { ago, displayName, expandShortcodes } from './text.js';
import { useChat } from './useChat.js';
import { useInputLine } from './useInputLine.js';
import { useTerminalSize } from './useTerminalSize.js';
import { displayWidth } from './wrap.js';

export interface ChatAppProps {
  controller: ChatController;
  relay: string;
  color: boolean;
  onQuit(): void;
}

export function ChatApp({ controller, relay, color, onQuit }: ChatAppProps) {
  const view = useChat(controller);
  const { columns, rows } = useTerminalSize();
  // The pane's bottom row (layout.ts); undefined follows the newest. A ref as well: keys come faster than renders.
  const [position, setPosition] = useState<Position | undefined>(undefined);
  const pos = useRef<Position | undefined>(undefined);
  const place = (p: Position | undefined): void => {
    pos.current = p;
    setPosition(p);
  };
  const current = useRef(view.current);
  useEffect(() => {
    if (current.current !== view.current) {
      pos.current = undefined;
      setPosition(undefined);
    }
    current.current = view.current;
  }, [view.current]);

  const listWidth = columns >= 60 ? Math.min(22, Math.floor(columns / 4)) : 0;
  const paneWidth = Math.max(10, columns - listWidth - 1);
  const bannerRows = view.blocked && view.current ? 4 : 0;
  // One row less than the terminal: Ink redraws in place only while its output is shorter than the screen.
  const height = Math.max(8, rows - 1);
  const prompt = view.current ? `${view.current}> ` : '> ';
  // The input area grows with its text up to a third of the rows the pane and it share, then scrolls.
  const maxInput = Math.max(1, Math.floor((height - 3 - bannerRows) / 3));
  const scrollable = (): Scrollable => ({
    rows: () => layItems(controller.view().items, view.me, paneWidth - 1).rows,
    older: () => controller.page('older'),
    newer: () => controller.page('newer'),
    atNewest: () => !controller.view().newer,
  });
  let paneHeight = 0;
  const line = useInputLine({
    onSubmit: (l) => {
      if (controller.view().newer) controller.page('newest');
      place(undefined);
      controller.submit(l);
    },
    onChange: (v) => controller.composing(v),
    onScroll: (k) => {
      const body = bodyRows(paneHeight);
      if (k === 'home') {
        controller.page('oldest');
        return place(topPosition(scrollable().rows(), body));
      }
      if (k === 'end') {
        controller.page('newest');
        return place(undefined);
      }
      const delta = { pageUp: -(body - 1), pageDown: body - 1, lineUp: -1, lineDown: 1 }[k];
      place(scrollBy(scrollable(), pos.current, Math.sign(delta) * Math.max(1, Math.abs(delta)), body));
    },
    onCycle: (step) => controller.cycle(step),
    onQuit,
    users: () => view.users,
    editLast: () => controller.editLast(),
  });

  const shownValue = expandShortcodes(line.value);
  const inputLines = inputHeight(shownValue, displayWidth(displayName(prompt)), columns, maxInput);
  paneHeight = Math.max(3, height - 1 /* status */ - 1 /* typing */ - inputLines - bannerRows - 1 /* header */);
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
            position={position}
            older={view.older === true}
            newer={view.newer === true}
            color={color}
          />
        </Box>
      </Box>
      <InputLine
        prompt={prompt}
        value={shownValue}
        candidates={line.candidates}
        typing={view.typing}
        width={columns}
        maxRows={maxInput}
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
