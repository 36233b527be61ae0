/**
 * Bodies of the disappearing-messages timer kinds (PROTOCOL.md §17.5): a conversation's timer, in seconds, announced
 * in the conversation; the group variant starts with the group id (§15.1). Pure functions: who may set a group's
 * timer and which setting wins is the receiving client's check (§17.5), not the codec's.
 *
 *   timer       = seconds (u32, 0 = off, else 1..MAX_TIMER_SECONDS)
 *   group timer = gid (16) ‖ timer
 */
import { MessageKind } from './constants.js';
import { CryptoError } from './errors.js';

/** The longest timer (§17.5): 365 days, in seconds. */
export const MAX_TIMER_SECONDS = 31_536_000;

/** One parsed §17.5 body: `gid` for the group kind; `seconds` 0 turns the timer off. */
export interface TimerBody {
  gid?: Uint8Array;
  seconds: number;
}

/** Whether `kind` is one of §17.5. */
export const isTimerKind = (kind: number): boolean => kind === MessageKind.timer || kind === MessageKind.groupTimer;

/** The problem with a §17.5 body, or undefined when it is well formed (§4 step 3). */
export function timerProblem(kind: number, body: Uint8Array): string | undefined {
  if (!isTimerKind(kind)) return `kind ${kind} is not a timer`;
  const at = kind === MessageKind.groupTimer ? 16 : 0;
  if (body.length !== at + 4)
    return `a timer body is ${kind === MessageKind.groupTimer ? 'a 16-byte group id and ' : ''}a 4-byte number of seconds`;
  const seconds = new DataView(body.buffer, body.byteOffset + at, 4).getUint32(0);
  return seconds > MAX_TIMER_SECONDS ? `a timer is at most ${MAX_TIMER_SECONDS} seconds` : undefined;
}

/**
 * The body of kind `kind` (MessageKind.timer or groupTimer) for `t`.
 * @throws {RangeError} on anything {@link parseTimer} would refuse.
 * @example encodeTimer(MessageKind.timer, { seconds: 3600 }) // 00000e10
 */
export function encodeTimer(kind: number, t: TimerBody): Uint8Array {
  const group = kind === MessageKind.groupTimer;
  const out = new Uint8Array((group ? 16 : 0) + 4);
  if (group) out.set(t.gid ?? new Uint8Array(0));
  if (!Number.isInteger(t.seconds) || t.seconds < 0 || t.seconds > MAX_TIMER_SECONDS)
    throw new RangeError(`encodeTimer: seconds must be 0..${MAX_TIMER_SECONDS}, got ${t.seconds}`);
  new DataView(out.buffer).setUint32(group ? 16 : 0, t.seconds);
  const problem = timerProblem(kind, out);
  if (problem !== undefined || (group && t.gid?.length !== 16))
    throw new RangeError(`encodeTimer: ${problem ?? 'a group timer needs a 16-byte group id'}`);
  return out;
}

/**
 * Parses a §17.5 body. Returned arrays are copies.
 * @throws {CryptoError} `ENVELOPE_MALFORMED` if it is not well formed.
 */
export function parseTimer(kind: number, body: Uint8Array): TimerBody {
  const problem = timerProblem(kind, body);
  if (problem !== undefined) throw new CryptoError('ENVELOPE_MALFORMED', `malformed envelope: ${problem}`);
  const group = kind === MessageKind.groupTimer;
  const seconds = new DataView(body.buffer, body.byteOffset + (group ? 16 : 0), 4).getUint32(0);
  return group ? { gid: body.slice(0, 16), seconds } : { seconds };
}
