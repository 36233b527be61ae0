/** The rows of the local store as the engine sees them (the table modules read and write them). */

/**
 * Trust in a contact's key (docs: packages/cli/README.md, PROTOCOL.md §3.4): `unverified` accepted (on first use or by
 * `chat trust`), `verified` accepted after comparing safety numbers, `changed` the relay now gives another key that
 * has not been accepted (sending blocked), `untrusted` first seen under `--trust-new-identities never` and not yet
 * accepted (sending blocked).
 */
export type TrustState = 'unverified' | 'verified' | 'changed' | 'untrusted';

export interface Contact {
  username: string;
  identityPublicKey: Uint8Array;
  encryptionPublicKey: Uint8Array;
  /** §3.3, grouped as shown to users. */
  fingerprint: string;
  /** ms since the epoch, when the key was pinned. */
  firstSeen: number;
  trust: TrustState;
  /** When safety numbers were last compared and matched (ms), for `verified`. */
  verifiedAt: number | null;
  /** For `changed`: the key the relay gives now, not accepted yet. */
  pending: PendingKey | null;
}

export interface PendingKey {
  identityPublicKey: Uint8Array;
  encryptionPublicKey: Uint8Array;
  fingerprint: string;
  /** When the client first saw it (ms). */
  seenAt: number;
}

/** What pinning a new contact supplies; trust state and the rest start empty. */
export type NewContact = Pick<
  Contact,
  'username' | 'identityPublicKey' | 'encryptionPublicKey' | 'fingerprint' | 'firstSeen'
> & { trust?: TrustState };

export type Direction = 'in' | 'out';

export interface StoredMessage {
  /** 32 lower-case hex digits. */
  id: string;
  /** The other party: the sender of an incoming message, the recipient of an outgoing one. */
  peer: string;
  direction: Direction;
  body: string;
  /** The sender's signed clock (ms). */
  ts: number;
  /** The relay's receive time (ms), for incoming messages. */
  relayTs: number | null;
  /** When this client committed it (ms). */
  receivedAt: number;
  /**
   * Outgoing: `queued` (in the outbox), `sent` (stored by the relay), `delivered`, `read` (receipts, §4.1), `failed`.
   * Incoming: `unread` or `read`. Rows from schema v1 have none (treated as `sent` / `read`).
   */
  state?: MessageState | null;
  /** The id of the message this one replies to (PROTOCOL.md §17), if any. */
  replyTo?: string | null;
}

/**
 * `event`: not a message but a line of the conversation this client wrote, like a group's `*` lines: a 1:1 timer
 * setting (§17.5). It has no delivery state, is never unread, and cannot be edited, deleted or reacted to.
 */
export type MessageState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'unread' | 'event';

export interface RejectedEnvelope {
  id: string;
  /** The §4 error code, e.g. `ENVELOPE_OPEN_FAILED`. */
  reason: string;
  relayTs: number | null;
  rejectedAt: number;
}
