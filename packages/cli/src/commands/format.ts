/**
 * Plain-text output helpers. Message bodies and names come from other people: nothing in them may drive the
 * terminal (terminal-text.ts, the one sanitiser every renderer uses).
 */
import { inertLine, inertText } from '../terminal-text.js';
import { UNKNOWN_TIME, isPlausibleTime, senderTimeNote } from '../sender-time.js';
import type { Output } from './io.js';

/**
 * The word wrap of ui/wrap.ts, loaded only for output to a terminal (`loadWrapFor`): it measures text with
 * string-width, whose tables take 50-80 ms to load, which every `chat history` or `chat recv` into a pipe or file
 * would otherwise pay for nothing (issue 15).
 */
let wrapRows: typeof import('../ui/wrap.js').wrapRows | undefined;

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-24 10:31:02` in local time; "unknown time" for one no message could carry (sender-time.ts). */
export function formatLocalTime(ms: number): string {
  if (!isPlausibleTime(ms)) return UNKNOWN_TIME;
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** What starts every row of a message but its first. */
const CONTINUATION = '  | ';

/**
 * Continuation lines of a multi-line text start with `  | `: only a new message starts a line with `[`, so a body
 * holding `\n[2026-12-03 10:00:00] alice: …` cannot pass for a line from alice (SECURITY.md, "Spoofed sender lines").
 */
export function markContinuations(text: string): string {
  return text.split('\n').join(`\n${CONTINUATION}`);
}

/**
 * One line of output (already inert), its `\n` continuations marked; with a `width` (a terminal's columns) also wrapped
 * to it with the same mark, so that the terminal never wraps a row itself: a body padded with spaces to the width
 * would otherwise put its next row, a fake `[time] alice: …`, at column 0. Tabs become four spaces when wrapping,
 * since the terminal, not the wrap, would decide their width.
 */
export function fitLine(line: string, width?: number): string {
  if (width === undefined) return markContinuations(line);
  // A programming error, not a user's: every command that prints with a width awaits loadWrapFor first.
  if (!wrapRows) throw new Error('fitLine with a width before loadWrapFor');
  return wrapRows(line.replace(/\t/g, '    '), width, Math.max(1, width - CONTINUATION.length)).join(
    `\n${CONTINUATION}`,
  );
}

/** The width to wrap output to: the terminal's columns when stdout is one, else none (the output is left unwrapped). */
export function outputWidth(out: Output): number | undefined {
  return out.isTTY && out.columns !== undefined && out.columns > 0 ? out.columns : undefined;
}

/** Loads the word wrap when `out` is a terminal (outputWidth gives a width): call before printing with fitLine. */
export async function loadWrapFor(out: Output): Promise<void> {
  if (outputWidth(out) !== undefined) wrapRows ??= (await import('../ui/wrap.js')).wrapRows;
}

/**
 * `[2026-11-24 10:31:02] alice: text` at this client's receive time; `from` and `body` are made inert and the body's
 * continuation lines marked, and with a `width` wrapped to it (`fitLine`). The sender's `ts` (their claim, §4) follows
 * the body only when it is far off: `alice: text (sent 2026-01-01 10:00 by their clock)`.
 */
export function formatMessageLine(
  m: { receivedAt: number; ts: number; from: string; body: string },
  width?: number,
): string {
  const note = senderTimeNote(m.ts, m.receivedAt);
  return fitLine(
    `[${formatLocalTime(m.receivedAt)}] ${inertLine(m.from)}: ${inertText(m.body)}${note ? ` ${note}` : ''}`,
    width,
  );
}
