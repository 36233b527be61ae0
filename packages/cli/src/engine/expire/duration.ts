/** Durations of disappearing-message timers (PROTOCOL.md §17.5) as people type and read them: `30s`, `5m`, `1h`. */
import { MAX_TIMER_SECONDS } from '@chat/crypto';
import { ChatError } from '../errors.js';

const UNITS: [string, number][] = [
  ['w', 604_800],
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/**
 * `off` or `0` → 0; `90`, `90s`, `5m`, `1h`, `2d`, `1w` (one unit) → seconds.
 * @throws {ChatError} USAGE for anything else or more than MAX_TIMER_SECONDS (365 days).
 * @example parseDuration('1h') // 3600
 */
export function parseDuration(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === '0') return 0;
  const m = /^(\d{1,9})\s*([smhdw]?)$/.exec(t);
  const unit = m ? (UNITS.find(([u]) => u === (m[2] || 's'))?.[1] ?? 1) : 0;
  const seconds = m ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMER_SECONDS)
    throw new ChatError(
      'USAGE',
      `a timer is off, or 1 s to 365 d written as 30s, 5m, 1h, 2d or 1w; got ${JSON.stringify(text)}`,
      {
        hint: 'for example: chat expire <user|#group> 1h, or chat expire <user|#group> off',
      },
    );
  return seconds;
}

/** `1 h`, `90 s`, `2 d`: the largest unit that divides it; `off` for 0. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return 'off';
  const [u, n] = UNITS.find(([, n]) => seconds % n === 0) ?? ['s', 1];
  return `${seconds / n} ${u === 'm' ? 'min' : u}`;
}
