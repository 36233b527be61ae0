/**
 * The relay's prekey directory (PROTOCOL.md §23): per account one signed X25519 prekey (SPK), one signed ML-KEM-768
 * last-resort key (PQSPK) and queues of one-time keys of both kinds, handed out oldest first and deleted as they are
 * handed out. Nothing records who fetched what (§23.8). Every engine (memory, SQLite, PostgreSQL) passes
 * `describePrekeyStore` (prekeys.suite.ts).
 */
import type { PrekeyTypeByte } from '@chat/protocol';

/** A published prekey as the relay keeps it: §18.1's type, the owner's key id, the public key, its §18.2 signature. */
export interface StoredPrekey {
  type: PrekeyTypeByte;
  keyId: number;
  key: Uint8Array;
  sig: Uint8Array;
}

/** What an owner has on the relay (the fields of `prekey_count`, §23.5); a signed key's id is absent when none. */
export interface PrekeyCounts {
  opk: number;
  pqopk: number;
  spkId?: number;
  pqspkId?: number;
}

/** Most one-time keys of each kind one owner may hold (§23.3 step 7). */
export interface PrekeyCaps {
  maxOpk: number;
  maxPqopk: number;
}

/**
 * `counts`: the batch is committed; `over_limit`: it would exceed the caps and nothing was stored; `unknown_owner`:
 * the account does not exist (deleted meanwhile).
 */
export type PublishOutcome = { counts: PrekeyCounts } | 'over_limit' | 'unknown_owner';

/** A prekey bundle's keys (§18.4, §23.4) and the owner's one-time counts left after this fetch. */
export interface TakenPrekeys {
  spk: StoredPrekey;
  opk?: StoredPrekey;
  /** The one-time ML-KEM key taken (type 4), else the last-resort key (type 3). */
  pq: StoredPrekey;
  left: { opk: number; pqopk: number };
}

export interface PrekeyStore {
  /**
   * In one transaction (§23.3 steps 4–7): with `reset`, deletes the owner's one-time keys; then a type 1 or 3 entry
   * replaces the stored key of its type, a type 2 or 4 entry is added unless its (type, id) is stored (then skipped);
   * then, if the owner holds more one-time keys than `caps`, rolls everything back. The entries were checked before.
   */
  publish(owner: string, entries: readonly StoredPrekey[], reset: boolean, caps: PrekeyCaps): Promise<PublishOutcome>;
  /**
   * The owner's bundle keys, or undefined when it has no SPK or no PQSPK (then nothing is consumed). With `oneTime`,
   * takes and deletes the oldest one-time key of each kind in the same transaction: two takes, from any process
   * sharing the store, never return the same one-time key.
   */
  take(owner: string, oneTime: boolean): Promise<TakenPrekeys | undefined>;
  counts(owner: string): Promise<PrekeyCounts>;
  /** Deletes every prekey of `owner` (account deletion does this in its own transaction too). */
  remove(owner: string): Promise<void>;
}

/** True for the one-time types (2, 4), which the relay queues and hands out once. */
export const isOneTime = (type: PrekeyTypeByte): boolean => type === 2 || type === 4;
