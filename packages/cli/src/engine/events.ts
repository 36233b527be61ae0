/**
 * What the engine announces (the Messenger's events) and the values they carry. Types only: every layer may name
 * them without importing the layer that emits them.
 */
import type { ChatError } from './errors.js';
import type { FileTransfer } from './store/files.js';
import type { Contact, MessageState, StoredMessage } from './store/store.js';

/** A message this client sent, as confirmed by the relay's `sent`. */
export interface SentMessage {
  id: string;
  to: string;
  ts: number;
  body: string;
}

/** A message received, verified and committed to history (§4). */
export interface ReceivedMessage {
  id: string;
  from: string;
  to: string;
  body: string;
  /** The sender's signed clock (ms). */
  ts: number;
  /** The relay's receive time (ms). */
  relayTs: number;
  /** When this client committed it (ms): what the history is ordered by and what is shown (§4). */
  receivedAt: number;
  /** A reply (§17.1): the id of the message it answers. */
  replyTo?: string;
}

/** Left on the relay, not acknowledged: the sender's key is not the pinned one, or cannot be trusted now. */
export interface HeldMessage {
  id: string;
  from: string;
  reason: 'KEY_CHANGED' | 'BUNDLE_INVALID' | 'UNTRUSTED_IDENTITY';
}

/** Failed a §4 check; recorded in `rejected` and acknowledged so it does not clog the mailbox. */
export interface RejectedMessage {
  id: string;
  code: string;
  detail: string;
}

/**
 * Recovery of a lost v2 session (§24.7), as `chat recv --json` prints it: we asked `peer` to resend `ids` we could
 * not decrypt (`asked`), or resent `ids` of ours at `peer`'s request (`resent`).
 */
export interface RecoveryEvent {
  type: 'recovery';
  action: 'asked' | 'resent';
  peer: string;
  ids: string[];
}

export interface MessengerEvents {
  message: [message: ReceivedMessage];
  held: [message: HeldMessage];
  rejected: [message: RejectedMessage];
  /** A lost v2 session is being recovered (§24.7): a resend request sent, or messages resent at the peer's request. */
  recovery: [event: RecoveryEvent];
  /** Every envelope waiting at login has been handled (§6.2 `synced`). */
  synced: [];
  sent: [message: SentMessage];
  pinned: [contact: Contact];
  /** The relay gave a contact a different key; `accepted` only under trust-new-identities `always`. */
  keyChanged: [change: { username: string; previous: string; current: string; accepted: boolean }];
  /** `online` once the receiving session is authenticated, `offline` when it ends. */
  status: [status: 'connecting' | 'online' | 'offline'];
  /** A text message entered the outbox and history (state `queued`), before anything was sent. */
  queued: [message: StoredMessage];
  /** An outgoing message changed state: `sent` (relay stored it), `delivered` / `read` (receipts), `failed`. */
  delivery: [change: DeliveryChange];
  /** A contact is typing (`active`) or stopped (§4.1); ephemeral, never stored. */
  typing: [signal: { from: string; active: boolean }];
  /** Queued messages to `peer` cannot be sent: its key on the relay is not the pinned one (§3.4). */
  blocked: [info: { peer: string; reason: 'KEY_CHANGED' | 'UNTRUSTED_IDENTITY' | 'BUNDLE_INVALID' }];
  /** The live session's connection state (live.ts): reconnecting carries the delay before the next attempt. */
  connection: [status: ConnectionStatus];
  /** A group or room message, or a group membership change, was received and committed (§15). */
  groupMessage: [message: GroupMessage];
  /** Something went wrong in the background (e.g. sending the outbox) that no caller is waiting for. */
  warning: [message: string];
  /** File transfer (§16): an offer arrived, or a peer answered one of ours (files/incoming.ts). */
  file: [event: FileEvent];
  /** An edit, delete or reaction (§17) was received and applied (actions/receive.ts). */
  action: [event: ActionEvent];
  /** A conversation's disappearing-message timer was set by the other side (§17.5, expire/timers.ts). */
  expire: [event: TimerEvent];
  /** Messages and files whose timer ran out were removed from the database (§17.5, expire/expirer.ts). */
  expired: [event: ExpiredEvent];
}

/** A timer setting received (§17.5), as `chat recv --json` prints it. */
export interface TimerEvent {
  type: 'expire';
  /** The setting's envelope id. */
  id: string;
  from: string;
  /** The peer for 1:1, `#name` for a group. */
  conv: string;
  group?: string;
  /** The new timer; 0 = off. */
  seconds: number;
  /** False when a later setting was already in force (§17.5: the greater (ts, setter) wins). */
  applied: boolean;
  ts: number;
  relayTs: number;
  receivedAt: number;
}

/** What a sweep removed: message ids (1:1 and group) and file transfers (blob ids). */
export interface ExpiredEvent {
  type: 'expired';
  ids: string[];
  files: string[];
}

/** An applied edit, delete or reaction (§17), as `chat recv --json` prints it (`type` is the JSON `type`). */
export interface ActionEvent {
  type: 'edit' | 'delete' | 'reaction';
  /** The id of the edit / delete / reaction envelope itself. */
  id: string;
  /** The local id of the message it applies to. */
  target: string;
  from: string;
  /** The conversation: the peer for 1:1, `#name` for a group. */
  conv: string;
  /** The group id (hex), for a group. */
  group?: string;
  /** Edit: the new text, its sequence number, and whether it is now the shown text (§17.3: the highest seq wins). */
  body?: string;
  seq?: number;
  current?: boolean;
  /** Reaction: the emoji; `""` when the author removed theirs. */
  emoji?: string;
  ts: number;
  relayTs: number;
  receivedAt: number;
}

export interface DeliveryChange {
  id: string;
  peer: string;
  state: MessageState;
  /** For `failed`: the refusal's code. */
  error?: string;
}

export type ConnectionStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'online' }
  | { state: 'reconnecting'; attempt: number; retryInMs: number; error: ChatError }
  | { state: 'stopped' }
  | { state: 'failed'; error: ChatError };

export type FileEvent =
  | { kind: 'offer'; transfer: FileTransfer }
  | { kind: 'answer'; transfer: FileTransfer; outcome: 'received' | 'declined' }
  | { kind: 'progress'; progress: FileProgress };

/** Progress of one upload or download, for bars and `--json` events. */
export interface FileProgress {
  direction: 'up' | 'down';
  blob: string;
  name: string;
  done: number;
  total: number;
  startedAt: number;
}

/** A group or room message (or membership event) as shown: `#<conv> <from>: <body>`. */
export interface GroupMessage {
  id: string;
  /**
   * `invite`: an invitation waiting for the user (§15.7), shown once; nothing of the group until accepted. (Also a
   * competing invitation, below.)
   */
  kind: 'group' | 'room' | 'event' | 'invite';
  /** `#name` of the group or room. */
  conv: string;
  /** The group id (hex) for group messages and events. */
  gid?: string;
  from: string;
  body: string;
  /** The sender's claim (§4). */
  ts: number;
  relayTs: number;
  /** When this client committed it (ms). */
  receivedAt: number;
  /**
   * An `invite` into a group we hold another version of (§15.4 step 4): kept beside ours, answered with
   * `chat group accept|decline <id> --from <from>`.
   */
  competing?: true;
  /** A group reply (§17.1): the local id of the message it answers (its §17.2 reference if not held). */
  replyTo?: string;
}

/** The Messenger's typed `emit`, as handed to the parts that announce something. */
export type Emit = <K>(
  event: keyof MessengerEvents | K,
  ...args: K extends keyof MessengerEvents ? MessengerEvents[K] : never
) => boolean;

export interface ReceiveOptions {
  /** Keep listening after `synced` until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Called for each new message, after it is committed (the `message` event carries the same). */
  onMessage?: (message: ReceivedMessage) => void;
  /** Called for each new group or room message and membership event (§15), after it is committed. */
  onGroupMessage?: (message: GroupMessage) => void;
}

export interface ReceiveSummary {
  /** New messages shown. */
  received: number;
  /** Redelivered ids already in history: acknowledged, not shown again (§4 step 7). */
  duplicates: number;
  held: number;
  rejected: number;
}

/** What a group or room send did, per recipient (§15.2). */
export interface FanoutResult {
  /** Recipients whose envelope the relay stored, with the message id used. */
  stored: { to: string; id: string }[];
  /** Recipients refused, with the code (§10) or the client-side reason (a changed key, §3.4). */
  failed: { to: string; code: string }[];
}
