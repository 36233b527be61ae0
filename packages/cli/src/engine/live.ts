/**
 * The live session an interactive client keeps open all day: `receive({ follow: true })` in a loop, reconnecting
 * with exponential backoff (with jitter) after a connection loss, and reporting each state as a `connection` event.
 * Every (re)connect sends the outbox first (receiver.ts), so what was typed offline goes out on reconnect.
 *
 * Refusals that retrying cannot fix (a changed relay id, KEY_MISMATCH, ALREADY_RECEIVING, …) end the loop.
 */
import { ChatError } from './errors.js';
import type { Messenger } from './messenger.js';
import { isRetryable } from './send/outbox-sender.js';

export interface LiveOptions {
  signal: AbortSignal;
  /** First retry delay; doubles per failed attempt up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export const BASE_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;

/** The delay before retry `attempt` (1-based): base·2^(attempt−1), capped, ±20 % jitter so clients do not stampede. */
export function backoffDelay(attempt: number, base = BASE_DELAY_MS, max = MAX_DELAY_MS, random = Math.random): number {
  const raw = Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * Runs until `signal` aborts (resolves) or a refusal that retrying cannot fix (rejects with it, after a `failed`
 * event).
 */
export async function runLive(m: Messenger, options: LiveOptions): Promise<void> {
  const { signal } = options;
  let attempt = 0;
  const onStatus = (s: 'connecting' | 'online' | 'offline'): void => {
    if (s === 'online') {
      attempt = 0;
      m.emit('connection', { state: 'online' });
    }
  };
  m.on('status', onStatus);
  try {
    while (!signal.aborted) {
      m.emit('connection', { state: 'connecting', attempt: attempt + 1 });
      try {
        await m.receive({ follow: true, signal });
        if (signal.aborted) break;
        throw new ChatError('CONNECTION_LOST', 'the receiving session ended');
      } catch (err) {
        if (signal.aborted) break;
        const e =
          err instanceof ChatError
            ? err
            : new ChatError('UNEXPECTED', String((err as Error)?.message ?? err), { cause: err });
        // A request refused for the user's rate (§11) with a wait, e.g. the lookup of a new sender while the outbox
        // uses the same tokens, ends this session but not the live one: reconnect once the wait is over.
        const rateLimited = e.code === 'RATE_LIMITED' && e.retryAfterMs !== undefined;
        if (!isRetryable(e) && !rateLimited) {
          m.emit('connection', { state: 'failed', error: e });
          throw e;
        }
        attempt++;
        const retryInMs = Math.max(
          backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs),
          rateLimited ? e.retryAfterMs! : 0,
        );
        m.emit('connection', { state: 'reconnecting', attempt, retryInMs, error: e });
        await sleep(retryInMs, signal);
      }
    }
  } finally {
    m.off('status', onStatus);
  }
  m.emit('connection', { state: 'stopped' });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
