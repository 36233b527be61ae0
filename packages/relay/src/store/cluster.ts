/**
 * What relays sharing one store tell each other (issue 17, docs/SCALING.md). On SQLite a relay is alone with its
 * store and there is no `Cluster`; on PostgreSQL, notifications on one channel carry wake-ups and events, and lease
 * rows say which relay holds each user's one receiving session.
 */

/** Something one relay asks every other relay on the store to do. */
export type ClusterEvent =
  /** Forward an ephemeral envelope (§9 "Ephemeral") to `to`'s receiving session; id and env in base64. */
  | { k: 'eph'; to: string; id: string; env: string; ts: number }
  /** End every session of `user` (an admin's kick, ban or deletion, §14). */
  | { k: 'end'; user: string; code: 'KICKED' | 'BANNED'; reason: string }
  /** An admin asked for shutdown (§14): every relay on the store stops. */
  | { k: 'shutdown' };

/** What the running relay does with what it hears. */
export interface ClusterHooks {
  /** Another relay committed envelopes for these users: wake their receiving sessions here, if any. */
  wake(users: readonly string[]): void;
  /** The users with a receiving session on this relay now (for the re-check after a notification may be lost). */
  receiving(): string[];
  /** Another relay published `e`. */
  event(e: ClusterEvent): void;
  /**
   * This relay went longer than its lease without renewing it (paused, or cut off from the database): another relay
   * may already hold its users' receiving sessions. End every local receiving session now.
   */
  fence(): void;
  /** A line for the relay's log (listener lost, reconnected, fenced). */
  log(event: string, fields?: Record<string, string | number>): void;
}

/** This relay's part in the cluster; closed before the stores are. */
export interface Cluster {
  /**
   * Claims `user`'s one receiving session (§8 step 4) for this relay's connection `conn`: true if no live relay
   * held it (a dead relay's lease is taken over), false if one does. The caller checks `fenced()` first.
   */
  claim(user: string, conn: number): Promise<boolean>;
  /** Gives the lease back (if this connection still holds it); never throws. */
  release(user: string, conn: number): void;
  /** The users with a receiving session on a live relay, sorted, at most `limit`. */
  receivers(limit: number): Promise<string[]>;
  /** True if a live relay holds a receiving session of `user`. */
  isReceiving(user: string): Promise<boolean>;
  /** Which of `users` (at most a page) receive on a live relay. */
  receivingAmong(users: readonly string[]): Promise<Set<string>>;
  /** The whole store's view: live relays, and users receiving on any of them (admin `stats`, `/metrics`). */
  census(): Promise<Census>;
  /** Sends `e` to every other relay; false if it is too large for one notification (nothing was sent). */
  publish(e: ClusterEvent): Promise<boolean>;
  /** True while this relay may not deliver: its lease ran out before it renewed it. */
  fenced(): boolean;
  /** Runs `fn` unless another relay is running a job under the same name; returns undefined when skipped. */
  exclusive<T>(job: string, fn: () => Promise<T>): Promise<T | undefined>;
  /** Stops listening and heartbeating, and gives back this relay's leases (its sessions have ended). */
  close(): Promise<void>;
}

/** What every relay on the store sees alike; the rest of the stats are each relay's own. */
export interface Census {
  /** Relays alive now (a fresh heartbeat and their liveness lock held), this one included. */
  relays: number;
  /** Users with a receiving session on any live relay. */
  receiving: number;
}

/** How the cluster is tuned; defaults in `CLUSTER_DEFAULTS`. */
export interface ClusterTiming {
  /** Every this often, wake the local receivers whose mailbox holds something (a notification lost is found). */
  recheckMs: number;
  /** Every this often, the relay renews its heartbeat row. */
  heartbeatMs: number;
  /** A relay whose heartbeat is older than this is dead: its leases may be taken over. */
  leaseMs: number;
}

export const CLUSTER_DEFAULTS: ClusterTiming = { recheckMs: 5_000, heartbeatMs: 2_000, leaseMs: 8_000 };
