import type { CommitQueue } from './commit-queue.js';
import type { Logger } from './log.js';
import type { MailboxStore } from './store/mailbox-store.js';

/** What sessions share: the store, the commit queue, and who is receiving. One per running relay. */
export interface RelayContext {
  readonly store: MailboxStore;
  readonly commits: CommitQueue;
  /** The one `recv` session per user (PROTOCOL.md §8 step 4), keyed by username. */
  readonly receivers: Map<string, Receiver>;
  readonly log: Logger;
  readonly limits: RelayLimits;
  now(): number;
}

export interface RelayLimits {
  handshakeTimeoutMs: number;
  maxEnvelopeBytes: number;
  mailboxTtlMs: number;
}

/** The part of a session the relay calls when something new is stored for its user. */
export interface Receiver {
  notify(): void;
  /** Writes an ephemeral `msg` (never stored, §9 "Ephemeral"); false if the session cannot take it now. */
  forwardEphemeral(id: Uint8Array, env: Uint8Array, ts: number): boolean;
}
