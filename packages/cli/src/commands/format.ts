/** Plain-text output helpers. Message bodies come from other people: nothing in them may drive the terminal. */

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-24 10:31:02` in local time. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '????-??-?? ??:??:??';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates that can
// make text render in another order than it is stored (CVE-2021-42574, "Trojan Source").
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text safe to print to a terminal: escape sequences and other controls become visible `\xNN` / `\uNNNN`
 * escapes; a lone CR (which would let a message overwrite its own prefix) too.
 */
export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `[2026-11-24 10:31:02] alice: text` (the §4 `ts` is the sender's clock). */
export function formatMessageLine(m: { ts: number; from: string; body: string }): string {
  return `[${formatLocalTime(m.ts)}] ${m.from}: ${sanitizeForTerminal(m.body)}`;
}
