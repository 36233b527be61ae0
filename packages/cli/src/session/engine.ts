/**
 * What the interactive session (ui/controller.ts and its command modules) uses of the engine: one narrow interface
 * with two implementations (docs/ARCHITECTURE.md, "Front ends").
 *
 * - local.ts: this process's own Messenger (no daemon running): today's code path.
 * - remote.ts: a session attached to `chat daemon`. Everything that needs the keys or the relay connection goes to
 *   the daemon as JSON-RPC (the `ops`, daemon/methods-session.ts); what arrives comes back as its notifications.
 *
 * Reads (`store`, `history`, `contacts`) go to the profile's SQLite database in both cases: the screen is redrawn
 * synchronously from it after every change, the daemon commits a message before it notifies anyone (SQLite's WAL
 * lets readers in other processes see each commit at once), and the database holds no secret the session could not
 * already read. Writes that are local state only (mute, block, nicknames, accepting an invitation) also go there.
 */
import type { ConnectionStatus, FileEvent, GroupMessage, MessengerEvents } from '../engine/events.js';
import type { Settings } from '../engine/settings.js';
import type { FileTransfer } from '../engine/store/files.js';
import type { Contact, StoredMessage, Store } from '../engine/store/store.js';
import type { SessionOps } from './ops.js';

export type { SessionOps } from './ops.js';

/**
 * The engine events the session listens to, with the fields it reads. Each is a supertype of the Messenger's own
 * (MessengerEvents): a local engine passes the Messenger's events through, a remote one builds them from the
 * daemon's notification objects (daemon/objects.ts).
 */
export interface SessionEvents {
  message: [message: { from: string }];
  groupMessage: [message: Pick<GroupMessage, 'kind' | 'conv' | 'gid' | 'from' | 'body' | 'competing'>];
  /** Something of ours went into the history or the outbox (a remote engine: a call of ours completed). */
  queued: [];
  delivery: [];
  action: [];
  expire: [event: Pick<MessengerEvents['expire'][0], 'applied' | 'group' | 'from' | 'seconds'>];
  expired: [];
  typing: [signal: { from: string; active: boolean }];
  blocked: [info: { peer: string }];
  held: [message: { from: string; reason: string }];
  /** A lookup saw a changed key (§3.4); the contact store says so (the conversation list marks it at once). */
  keyChanged: [change: { username: string; accepted: boolean }];
  connection: [status: ConnectionStatus];
  warning: [message: string];
  /** A lost v2 session recovered (§24.7): a resend request sent, or messages resent at the peer's request. */
  recovery: [event: MessengerEvents['recovery'][0]];
  /** Offers and answers only: progress is reported to the caller of `sendFile` / `acceptFile`. */
  file: [
    event:
      | { kind: 'offer'; transfer: FileShown }
      | { kind: 'answer'; outcome: Extract<FileEvent, { kind: 'answer' }>['outcome']; transfer: FileShown },
  ];
}

/** What the session shows of a file transfer (never its key or hash). */
export type FileShown = Pick<FileTransfer, 'blob' | 'peer' | 'name' | 'size' | 'type'>;

export interface SessionEngine {
  readonly username: string;
  /** Our identity fingerprint (§3.5), for `/fingerprint`. */
  readonly fingerprint: string;
  /** `host:port` of the relay, for the banner. */
  readonly relay: string;
  /** settings.json (notifications, read receipts). */
  readonly settings: Settings;
  /** The profile's database: read for the screen; written only for local state (see above). */
  readonly store: Store;
  /** Everything that needs the keys or the relay. */
  readonly ops: SessionOps;
  /** True while the receiving session (ours, or the daemon's) is up: presence and key checks need it. */
  online(): boolean;
  contacts(): Contact[];
  history(options?: { peer?: string; limit?: number }): StoredMessage[];
  on<K extends keyof SessionEvents>(event: K, listener: (...args: SessionEvents[K]) => void): unknown;
  /**
   * Local: keeps the receiving session (with reconnects) until `signal` aborts; resolves when it has closed.
   * Remote: subscribes to the daemon's notifications; resolves when the daemon is gone or `signal` aborts (also an
   * abort that came while it was still subscribing; already aborted, it does not subscribe).
   */
  run(signal: AbortSignal, retryBaseMs?: number): Promise<void>;
  /** Starts the sweep of disappearing messages (§17.5) where this engine owns it; returns its stop and rearm. */
  expirer(): { stop(): void; rearm(): void };
  close(): void;
}
