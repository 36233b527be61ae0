/** Waiting for an AbortSignal without missing an abort that already happened. */

/**
 * Resolves once `signal` has aborted, at once if it already has; never without a signal. An AbortSignal fires
 * 'abort' only once, so a listener added after an await that the abort overtook (a Ctrl-C or /logout while a
 * front end still attaches) never runs: make this before such awaits, or use it where a bare listener would be.
 * @example const stopped = aborted(io.signal); await daemon.request('subscribe'); await stopped;
 */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve();
    else signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}
