/**
 * The narrow capabilities the engine hands its parts (issue 12; STYLE.md, "narrow interfaces, not a hub"): a feature
 * names the two or three it uses, never the Messenger. The Messenger provides all of them; tests may pass anything
 * with the same shape.
 */
import type { Identity } from '@chat/crypto';
import type { Mode } from '@chat/protocol';
import type { Reconciled } from './contacts/identities.js';
import type { Emit, FanoutResult } from './events.js';
import type { Connection } from './net/connection.js';
import type { KindHandlers } from './receive/handlers.js';
import type { Contact, Store } from './store/store.js';

/** Who we are. */
export interface Self {
  readonly username: string;
  readonly identity: Identity;
}

/** Announces events (after the store has committed what they report). */
export interface Announce {
  readonly emit: Emit;
}

/** Looks a user up and applies the trust policy (§3.4); contacts/contacts.ts decides which keys may be used. */
export interface Lookup {
  lookupContact(user: string, conn?: Connection): Promise<Reconciled>;
  /** @throws {ChatError} KEY_CHANGED / UNTRUSTED_IDENTITY when the key may not be used. */
  lookupAndPin(user: string, conn?: Connection): Promise<Contact>;
}

/** A connection to our relay: `connect` a new one, or run over the live session if there is one. */
export interface Connect {
  connect(mode: Mode): Promise<Connection>;
  withConnectionFor<T>(f: (c: Connection) => Promise<T>): Promise<T>;
}

/** Queues a control envelope (file offer or answer, §16.3) in the outbox and sends it. */
export interface SendControl {
  /** `ts`: the signed time of the envelope (default now). */
  sendControl(peer: string, kind: number, body: Uint8Array, conn?: Connection, ts?: number): Promise<void>;
}

/** What the receive path (receive/) needs: the check, the commit and the session. */
export interface ReceiveContext extends Self, Lookup, Announce {
  readonly store: Pick<
    Store,
    | 'contacts'
    | 'transaction'
    | 'rejected'
    | 'outbox'
    | 'seen'
    | 'blocked'
    | 'v2'
    | 'dataVersion'
    | 'senderKeys'
    | 'recovery'
    | 'groups'
    | 'held'
  >;
  /** One handler per §4 kind, registered by the features (receive/handlers.ts). */
  readonly handlers: KindHandlers;
  connect(mode: Mode): Promise<Connection>;
  /** The receiving session on `conn` is up (`true`) or over: sends use it meanwhile instead of a second connection. */
  setLive(conn: Connection, up: boolean): void;
  /**
   * While a following session runs: `retry(from)` checks the envelopes from `from` it held (§3.4) again, now, in
   * their delivery order; it returns how many. `undefined` when the session ends.
   */
  setHeldRetry(retry: ((from: string) => number) | undefined): void;
  flushOutbox(conn: Connection): Promise<void>;
  kickOutbox(): void;
  /** Publishes our prekeys on a version-2 connection and keeps them topped up while it lives (PROTOCOL.md §23.5). */
  publishPrekeys(conn: Connection): Promise<void>;
  /** Queues `delivered` receipts inside the caller's transaction; true if anything was queued. */
  enqueueReceipts(peer: string, kind: number, ids: readonly string[]): boolean;
}

/** A group or room send through the durable outbox (Messenger.queueFanout); a room's members are listed at send time. */
export interface QueueFanout {
  queueFanout(
    kind: number,
    body: Uint8Array,
    recipients: readonly string[] | { room: string },
    /** Writes the history row in the queueing transaction; `ts` is the signed ts of every copy. */
    history: (id: string, ts: number) => void,
  ): Promise<FanoutResult>;
}

/** What groups and rooms (groups/) use: the group tables, the contacts, the lookup, a connection, the outbox. */
export interface GroupsContext extends Self, Lookup, Connect, QueueFanout {
  readonly store: Pick<Store, 'groups' | 'contacts' | 'history'>;
}
