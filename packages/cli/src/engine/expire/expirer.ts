/**
 * Disappearing messages while a client runs (PROTOCOL.md §17.5): one timer, armed for the earliest `expires_at` in the
 * database, sweeps what is due and announces it (`expired`), then arms itself again. Store.open sweeps at start, so
 * a client that was not running catches up before it shows anything.
 */
import type { EventEmitter } from 'node:events';
import type { ExpiredEvent, MessengerEvents } from '../events.js';
import type { Store } from '../store/store.js';

/** The longest setTimeout delay Node takes (2^31 − 1 ms, ~24.8 days); a later expiry re-arms on the way. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Sweeps what is due at `now`; the event to announce, or undefined when nothing expired. */
export function sweepExpired(store: Pick<Store, 'timers'>, now = Date.now()): ExpiredEvent | undefined {
  const out = store.timers.sweep(now);
  if (out.messages.length === 0 && out.files.length === 0) return undefined;
  return { type: 'expired', ids: out.messages.map((x) => x.id), files: out.files.map((f) => f.blob) };
}

export interface Expirer {
  /** Look for an earlier expiry again (after something was stored outside the events below). */
  rearm(): void;
  stop(): void;
}

/** Events after which a new row may expire sooner than the armed time. */
const STORING = ['message', 'groupMessage', 'queued', 'expire', 'file', 'sent'] as const;

/** Keeps sweeping for a long-running client (the session, `chat recv --follow`) until `stop`. */
export function runExpirer(m: { readonly store: Pick<Store, 'timers'> } & EventEmitter<MessengerEvents>): Expirer {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const next = m.store.timers.nextExpiry();
    if (next === undefined) return;
    timer = setTimeout(run, Math.min(MAX_DELAY_MS, Math.max(0, next - Date.now())));
  };
  const run = (): void => {
    timer = undefined;
    const e = sweepExpired(m.store);
    if (e) m.emit('expired', e);
    arm();
  };
  for (const e of STORING) m.on(e, arm);
  run();
  return {
    rearm: arm,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const e of STORING) m.off(e, arm);
    },
  };
}
