/**
 * Times on screen (issue 14, finding 13; PROTOCOL.md §4, "Order of the history"). A message's signed `ts` is the
 * sender's claim: it may be backdated, in the far future, or 2^53−1, which `Date` cannot even represent. So every
 * renderer (`chat recv`, the session) shows this client's receive time, and the sender's claim only as information
 * when it is far from that, in words that say whose clock it is.
 */

/** How far the sender's clock may be from our receive time before the message says when they claim to have sent it. */
export const SKEW_NOTE_MS = 10 * 60 * 1000;
/** Times outside [2000-01-01, 2100-01-01) UTC are shown as "unknown time": no real message was sent then. */
const PLAUSIBLE_FROM = Date.UTC(2000, 0, 1);
const PLAUSIBLE_UNTIL = Date.UTC(2100, 0, 1);

export const UNKNOWN_TIME = 'unknown time';

/** True if `ms` is a time a message could really carry (and `Date` can render). */
export function isPlausibleTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= PLAUSIBLE_FROM && ms < PLAUSIBLE_UNTIL;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-24 10:31` in local time, or "unknown time". */
export function formatMinute(ms: number): string {
  if (!isPlausibleTime(ms)) return UNKNOWN_TIME;
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * `(sent 2026-01-01 10:00 by their clock)` when the sender's `ts` is more than SKEW_NOTE_MS from `receivedAt` (or not
 * a plausible time: `(sent at an unknown time by their clock)`); undefined when it is close enough to say nothing.
 */
export function senderTimeNote(ts: number, receivedAt: number): string | undefined {
  if (!isPlausibleTime(ts)) return `(sent at an ${UNKNOWN_TIME} by their clock)`;
  if (Math.abs(ts - receivedAt) <= SKEW_NOTE_MS) return undefined;
  return `(sent ${formatMinute(ts)} by their clock)`;
}
