import type { ErrorCode } from '@chat/protocol';
import type { AdminKeys } from './admins.js';
import type { CommitQueue } from './commit-queue.js';
import type { Registration } from './config.js';
import type { Limits, UserRates } from './limits.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { AccountStore } from './store/accounts.js';
import type { MailboxStore } from './store/mailbox-store.js';
import type { RoomRegistry } from './rooms.js';
import type { Blobs } from './blobs/rules.js';
import type { ShareTags } from './sender-share.js';
import type { PrekeyBudget } from './prekeys/budget.js';
import type { PrekeyCounts, PrekeyStore } from './store/prekeys.js';

/** What sessions share: the store, the commit queue, and who is receiving. One per running relay. */
export interface RelayContext {
  readonly store: MailboxStore;
  readonly accounts: AccountStore;
  readonly commits: CommitQueue;
  /** The prekey directory (PROTOCOL.md §23). */
  readonly prekeys: PrekeyStore;
  /** The one-time budget of requesters (§23.6). */
  readonly prekeyBudget: PrekeyBudget;
  /** The version-2 sessions of each user on this relay, told their prekey counts when they run low (§23.5). */
  readonly prekeyListeners: Map<string, Set<PrekeyListener>>;
  /** Sealed file chunks (PROTOCOL.md §16.4). */
  readonly blobs: Blobs;
  /** The one `recv` session per user (PROTOCOL.md §8 step 4), keyed by username. */
  readonly receivers: Map<string, Receiver>;
  /** Every authenticated session, by username (for kick, ban and online state). */
  readonly online: Map<string, Set<Kickable>>;
  readonly log: Logger;
  readonly limits: RelayLimits;
  readonly policy: RelayPolicy;
  readonly rates: UserRates;
  readonly metrics: Metrics;
  /** Public rooms and their members (§15.6). */
  readonly rooms: RoomRegistry;
  readonly startedAt: number;
  /**
   * The tags under which an envelope from account `sender`, submitted from `address` (an `addressKey`), to
   * `recipient` counts against the sender's and the address's shares of that mailbox (§11).
   */
  shareTags(sender: string, address: string, recipient: string): ShareTags;
  /** Open client connections. */
  connections(): number;
  /** Asks the relay to shut down gracefully (an admin's `shutdown`). */
  requestShutdown(): void;
  now(): number;
}

export interface RelayLimits extends Limits {
  maxEnvelopeBytes: number;
  mailboxTtlMs: number;
}

export interface RelayPolicy {
  /** Admin usernames and the key fingerprint each is bound to (§14.1). */
  admins: AdminKeys;
  registration: Registration;
  inviteTtlMs: number;
}

/** The part of a session the relay calls when something new is stored for its user. */
export interface Receiver {
  notify(): void;
  /** Writes an ephemeral `msg` (never stored, §9 "Ephemeral"); false if the session cannot take it now. */
  forwardEphemeral(id: Uint8Array, env: Uint8Array, ts: number): boolean;
}

/** The part of a session an admin action can end. */
export interface Kickable {
  fail(code: ErrorCode, msg: string): void;
}

/** A version-2 session of an owner, told its prekey counts when a fetch leaves them low (PROTOCOL.md §23.5). */
export interface PrekeyListener {
  prekeyCount(counts: PrekeyCounts): void;
}
