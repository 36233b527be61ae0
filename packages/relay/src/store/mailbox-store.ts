/**
 * The relay's storage seam. Everything the relay persists goes through this interface, so that a second engine
 * (a distributed one later) can replace SQLite and pass the same shared test suite (`mailbox-store.suite.ts`).
 *
 * What is stored is exactly what PROTOCOL.md §9 allows: key bundles, and per envelope the recipient, the
 * sender-chosen id, the opaque envelope, its size and times. There is no column for a sender's name: a per-sender
 * quota share is counted under an opaque tag that is keyed per relay process (`sender-share.ts`).
 *
 * The interface is asynchronous so that a networked engine (PostgreSQL, `postgres-store.ts`) fits behind it. The SQLite
 * engine does its work synchronously inside each call (better-sqlite3 is synchronous) and returns a settled promise,
 * so on SQLite a call has happened when it returns, exactly as before the interface became asynchronous. Callers
 * that need an order between calls (the commit queue, a session's frames) keep it themselves; they never rely on two
 * pending calls finishing in the order they were made.
 */

/** A registered account: the key bundle it first logged in with (PROTOCOL.md §3.2, §8). */
export interface UserRecord {
  username: string;
  identityPublicKey: Uint8Array;
  encryptionPublicKey: Uint8Array;
  bundleSignature: Uint8Array;
  createdAt: number;
}

/** One envelope to store for one recipient. */
export interface EnvelopeInput {
  recipient: string;
  /**
   * An opaque tag standing for the sender (`sender-share.ts`); envelopes with the same tag count together against
   * `MailboxQuota.perSender`. Absent: the envelope counts against no sender's share.
   */
  senderTag?: Uint8Array;
  /** Likewise for the source address the envelope came from, against `MailboxQuota.perAddress`. */
  addressTag?: Uint8Array;
  id: Uint8Array;
  envelope: Uint8Array;
  receivedAt: number;
  expiresAt: number;
}

/** An envelope as the mailbox returns it, in storage order (`seq` grows with every insert). */
export interface StoredEnvelope {
  seq: number;
  id: Uint8Array;
  envelope: Uint8Array;
  receivedAt: number;
}

/** Per-mailbox limits (PROTOCOL.md §11). */
export interface MailboxQuota {
  maxMessages: number;
  maxBytes: number;
  /** What envelopes with one `senderTag` may hold of one mailbox; absent: no per-sender limit. */
  perSender?: { maxMessages: number; maxBytes: number };
  /** What envelopes with one `addressTag` may hold of one mailbox; absent: no per-address limit. */
  perAddress?: { maxMessages: number; maxBytes: number };
}

/**
 * Outcome of storing one envelope: `stored` (new), `duplicate` (the same recipient and id is already stored, so
 * a retried send is acknowledged again without a second copy), `mailbox_full` (quota reached, nothing stored),
 * `unknown_recipient` (no such account).
 */
export type PutResult = 'stored' | 'duplicate' | 'mailbox_full' | 'unknown_recipient';

/** Acknowledged envelopes of one recipient, to delete. */
export interface Removal {
  recipient: string;
  ids: readonly Uint8Array[];
}

export interface MailboxStats {
  count: number;
  bytes: number;
}

export interface MailboxStore {
  /** The relay's id (PROTOCOL.md §8): 32 random bytes created with the store and kept for its life. */
  readonly relayId: Uint8Array;
  getUser(username: string): Promise<UserRecord | undefined>;
  /** Whether `username` is registered (the per-`send` check: cheaper than `getUser`). */
  hasUser(username: string): Promise<boolean>;
  /** Registers `user` unless the name is taken; returns the record now stored under that name. */
  registerUser(user: UserRecord): Promise<{ created: boolean; user: UserRecord }>;
  /**
   * Stores a batch in one durable transaction; when this resolves, every `stored` result is on disk.
   * Results are in input order. Quota is checked per envelope against what is already stored plus earlier
   * envelopes of the same batch.
   */
  putMany(items: readonly EnvelopeInput[], quota: MailboxQuota): Promise<PutResult[]>;
  /** Up to `limit` envelopes of `recipient` with `seq > afterSeq`, in storage order. */
  list(recipient: string, afterSeq: number, limit: number): Promise<StoredEnvelope[]>;
  /** Deletes the named envelopes of `recipient`; ids that are not stored are ignored. Returns how many went. */
  remove(recipient: string, ids: readonly Uint8Array[]): Promise<number>;
  /**
   * Group commit (the relay's `CommitQueue`): the removals, then `putMany(items)`, all in one durable transaction.
   * Resolves with the put results in input order, only after that transaction has committed. An engine shared by
   * several relays locks the mailboxes it touches in one fixed order (by name) for the transaction, so that quota
   * counts stay exact and two relays cannot deadlock; a `(recipient, id)` already stored is `duplicate`, never a
   * second copy, whichever relay stored it.
   */
  commit(removals: readonly Removal[], items: readonly EnvelopeInput[], quota: MailboxQuota): Promise<PutResult[]>;
  /** Deletes envelopes whose `expiresAt <= now`; returns how many went. */
  expire(now: number): Promise<number>;
  stats(recipient: string): Promise<MailboxStats>;
  close(): Promise<void>;
}
