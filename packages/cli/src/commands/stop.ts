/**
 * A one-shot command stopped by SIGINT or SIGTERM (bin/run.ts `stopOnSignals`: the first signal aborts `io.signal`,
 * whose reason is the signal's name): the error it ends with, INTERRUPTED (exit 130) or TERMINATED (exit 143), as a
 * shell reports a process those signals ended.
 */
import { aborted } from '../engine/aborted.js';
import { ChatError } from '../engine/errors.js';

export type StopCode = 'INTERRUPTED' | 'TERMINATED';

/** The stop itself, before what it means for the message is known. */
export class Stop extends Error {
  constructor(readonly code: StopCode) {
    super(code);
  }
}

/** INTERRUPTED (SIGINT, exit 130) or TERMINATED (SIGTERM, exit 143), saying what became of the send. */
export function stopped(code: StopCode, what: string, options: { hint?: string } = {}): ChatError {
  return new ChatError(code, `${code === 'INTERRUPTED' ? 'interrupted' : 'terminated'} ${what}`, options);
}

/** What an aborted `signal` means (bin/run.ts names the signal in its reason): SIGTERM TERMINATED, else INTERRUPTED. */
export const stopCode = (signal: AbortSignal | undefined): StopCode =>
  signal?.reason === 'SIGTERM' ? 'TERMINATED' : 'INTERRUPTED';

/** Rejects with a Stop once `signal` aborts; never without one. */
export function whenStopped(signal: AbortSignal | undefined): Promise<never> {
  return aborted(signal).then(() => {
    throw new Stop(stopCode(signal));
  });
}
