/** Text helpers for the UI: safe display of other people's text, emoji shortcodes, times, stable name colours. */
import { emojify } from 'node-emoji';
import { inertLine, inertText } from '../terminal-text.js';
import { UNKNOWN_TIME, isPlausibleTime } from '../sender-time.js';

/**
 * `:tada:` → 🎉 for every shortcode node-emoji knows; unknown ones stay as typed. `\:` is a literal colon that never
 * starts or ends a shortcode (`\:tada:` sends `:tada:`): the text is cut at each `\:`, each piece is converted on its
 * own, and the pieces are joined with plain colons, so no code can span an escape.
 */
export function expandShortcodes(text: string): string {
  return text
    .split('\\:')
    .map((piece) => emojify(piece))
    .join(':');
}

/**
 * Text from others, made inert: controls, bidi and invisible characters become visible escapes (terminal-text.ts);
 * tabs become spaces (a tab's width is up to the terminal, which would break the layout). Newlines are kept: Ink
 * lays them out.
 */
export function displayText(text: string): string {
  return inertText(text).replace(/\t/g, '    ');
}

/** A name in the session (a user, `#group`, `#room`): one line, made inert (terminal-text.ts). */
export function displayName(name: string): string {
  return inertLine(name);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `14:03` today, `11-24 14:03` on another day (local time); "unknown time" for no real time (sender-time.ts). */
export function shortTime(ms: number, now = Date.now()): string {
  if (!isPlausibleTime(ms)) return UNKNOWN_TIME;
  const d = new Date(ms);
  const today = new Date(now);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.toDateString() === today.toDateString() ? hm : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

const PALETTE = [
  'cyan',
  'green',
  'yellow',
  'magenta',
  'blue',
  'red',
  'cyanBright',
  'greenBright',
  'yellowBright',
  'magentaBright',
] as const;

/** The same colour for a name in every session (FNV-1a of the name); undefined when colour is off. */
export function nameColor(name: string, color: boolean): string | undefined {
  if (!color) return undefined;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** Colour is on unless NO_COLOR is set (https://no-color.org), TERM is dumb, or CHAT_MONOCHROME is set. */
export function colorEnabled(env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.CHAT_MONOCHROME !== undefined && env.CHAT_MONOCHROME !== '') return false;
  return env.TERM !== 'dumb';
}

/** The marks after a sent message: queued … sent ✓ delivered ✓✓ read ✓✓ (bold) failed ✗. */
export function deliveryMark(state: string | null | undefined): string {
  switch (state) {
    case 'queued':
      return '…';
    case 'delivered':
      return '✓✓';
    case 'read':
      return '✓✓ read';
    case 'failed':
      return '✗ failed';
    default:
      return '✓';
  }
}
