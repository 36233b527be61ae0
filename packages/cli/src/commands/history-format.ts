/**
 * How `chat history`, `chat search` and `chat recv` print replies, edits, deletes and reactions (PROTOCOL.md §17).
 * Every name, body and emoji comes from someone else: made inert (terminal-text.ts) and continuation lines marked
 * (format.ts), so that only a message's own first line starts with `[`.
 */
import type { HistoryEntry } from '../engine/actions/history.js';
import type { ActionEvent } from '../engine/events.js';
import { inertEmoji, inertLine, inertText } from '../terminal-text.js';
import { fitLine, formatLocalTime, formatMessageLine } from './format.js';

/** What a deleted message shows instead of its text. */
export const DELETED_TEXT = 'message deleted';
/** Longest quote of a reply's target, in characters. */
const QUOTE_CHARS = 60;

/** The first 8 hex digits of an id: what `chat edit` / `delete` / `react` accept when unique. */
export const shortId = (id: string): string => id.slice(0, 8);

/** `  > alice: first line of the target…` — the quoted line above a reply. */
export function quoteLine(
  target: { from: string; body: string; deleted?: boolean } | undefined,
  replyTo: string,
): string {
  if (!target) return `  > (reply to ${shortId(replyTo)}, not in your history)`;
  const first = target.deleted ? DELETED_TEXT : (target.body.split('\n')[0] ?? '');
  const cut = [...first].length > QUOTE_CHARS ? `${[...first].slice(0, QUOTE_CHARS).join('')}…` : first;
  return `  > ${inertLine(target.from)}: ${inertLine(cut)}`;
}

/** The lines of one history entry: the quote (a reply), the message with `(edited)` and its short id, its reactions. */
export function formatEntry(
  e: HistoryEntry,
  lookup: (id: string) => { from: string; body: string; deleted?: boolean } | undefined,
  width?: number,
  withConv = false,
): string {
  const lines: string[] = [];
  if (e.replyTo !== undefined) lines.push(fitLine(quoteLine(lookup(e.replyTo), e.replyTo), width));
  const who = withConv ? `${e.conv} ${e.from}` : e.from;
  if (e.event) {
    lines.push(fitLine(`[${formatLocalTime(e.receivedAt)}] ${inertLine(e.conv)} * ${inertText(e.body)}`, width));
    return lines.join('\n');
  }
  const body = e.deleted ? DELETED_TEXT : e.body;
  const tail = `${e.edited ? ' (edited)' : ''}  [${shortId(e.id)}]`;
  lines.push(formatMessageLine({ receivedAt: e.receivedAt, ts: e.ts, from: who, body: `${body}${tail}` }, width));
  if (e.reactions.length > 0)
    lines.push(
      fitLine(
        `  reactions: ${e.reactions.map((r) => `${inertEmoji(r.emoji)} ${inertLine(r.from)}`).join(', ')}`,
        width,
      ),
    );
  return lines.join('\n');
}

/** One line for an applied edit, delete or reaction in `chat recv`. */
export function formatAction(e: ActionEvent, width?: number): string {
  const at = `[${formatLocalTime(e.receivedAt)}] ${e.group ? `${inertLine(e.conv)} ` : ''}${inertLine(e.from)}`;
  switch (e.type) {
    case 'edit':
      return fitLine(
        `${at} edited ${shortId(e.target)}${e.current ? '' : ' (an older version)'}: ${inertText(e.body ?? '')}`,
        width,
      );
    case 'delete':
      return fitLine(`${at} deleted ${shortId(e.target)}`, width);
    case 'reaction':
      return fitLine(
        e.emoji
          ? `${at} reacted ${inertEmoji(e.emoji)} to ${shortId(e.target)}`
          : `${at} removed their reaction from ${shortId(e.target)}`,
        width,
      );
  }
}
