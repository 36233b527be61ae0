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

/**
 * Continuation lines of a multi-line text start with `  | `: only a new message starts a line with `[`, so a body
 * holding `\n[2026-12-03 10:00:00] alice: …` cannot pass for a line from alice (SECURITY.md, "Spoofed sender lines").
 */
export function markContinuations(text: string): string {
  return text.split('\n').join('\n  | ');
}

/**
 * `[2026-11-24 10:31:02] alice: text` (the §4 `ts` is the sender's clock); `from` and `body` are made inert and
 * the body's continuation lines marked.
 */
export function formatMessageLine(m: { ts: number; from: string; body: string }): string {
  return `[${formatLocalTime(m.ts)}] ${inertLine(m.from)}: ${markContinuations(inertText(m.body))}`;
}
