/**
 * Plain-text output helpers. Message bodies and names come from other people: nothing in them may drive the
 * terminal (terminal-text.ts, the one sanitiser every renderer uses).
 */
import { inertLine, inertText } from '../terminal-text.js';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-24 10:31:02` in local time. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '????-??-?? ??:??:??';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `[2026-11-24 10:31:02] alice: text` (the §4 `ts` is the sender's clock); `from` and `body` are made inert. */
export function formatMessageLine(m: { ts: number; from: string; body: string }): string {
  return `[${formatLocalTime(m.ts)}] ${inertLine(m.from)}: ${inertText(m.body)}`;
}
