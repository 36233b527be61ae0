/**
 * What one relay hears from the others on the same database (issue 17, docs/SCALING.md). On SQLite there is one
 * relay per store and nothing to hear; on PostgreSQL a listener connection delivers the other relays' notifications.
 */

/** What the running relay does with what it hears. */
export interface ClusterHooks {
  /** Another relay committed envelopes for these users: wake their receiving sessions here, if any. */
  wake(users: readonly string[]): void;
  /** The users with a receiving session on this relay now (for the re-check after a notification may be lost). */
  receiving(): string[];
  /** A line for the relay's log (listener lost, reconnected). */
  log(event: string, fields?: Record<string, string | number>): void;
}

/** A running listener; closed before the stores are. */
export interface ClusterLink {
  close(): Promise<void>;
}

/** How the listener is tuned; defaults in `WAKE_DEFAULTS`. */
export interface WakeTiming {
  /** Every this often, wake the local receivers whose mailbox holds something (a notification lost is found). */
  recheckMs: number;
}

export const WAKE_DEFAULTS: WakeTiming = { recheckMs: 5_000 };
