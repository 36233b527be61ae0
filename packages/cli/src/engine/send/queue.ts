/**
 * Queueing what the user sends (issue 12): a message, a control envelope, a group or room send, receipts, and the
 * ephemeral typing signal. Everything but typing enters the durable outbox (store/outbox.ts), sealed once, and is sent
 * by the OutboxSender (outbox-sender.ts); the Messenger's methods of the same names delegate here.
 */
import {
  CryptoError,
  MAX_BODY_BYTES,
  MAX_RECEIPT_IDS,
  MessageKind,
  fromHex,
  randomMessageId,
  toHex,
  utf8,
} from '@chat/crypto';
import { maySendTo } from '../contacts/contacts.js';
import type { Announce, Lookup, Self } from '../context.js';
import { ChatError, ExitCode, refuseBlocked } from '../errors.js';
import type { FanoutResult, SentMessage } from '../events.js';
import type { Connection } from '../net/connection.js';
import type { Settings } from '../settings.js';
import type { OutboxEntry } from '../store/outbox.js';
import type { Contact, StoredMessage, Store } from '../store/store.js';
import { normalizeUsername } from '../username.js';
import { withSenderKey } from './group-sender-key.js';
import {
  ROOM_PEER,
  isRetryable,
  plainOf,
  sealTyping,
  staysQueued,
  type OutboxSender,
  type SendOptions,
} from './outbox-sender.js';
import { currentSession, sealInSession } from '../v2/session.js';

const concatBytes = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** What queueing and sending needs of the engine (the Messenger provides it). */
export interface QueueContext extends Self, Lookup, Announce {
  readonly store: Pick<
    Store,
    'outbox' | 'contacts' | 'transaction' | 'blocked' | 'v2' | 'senderKeys' | 'groups' | 'timers'
  >;
  readonly settings: Pick<Settings, 'readReceipts' | 'typingIndicators'>;
  readonly sender: OutboxSender;
  /** The receiving session, if one is up: sends use it instead of a connection of their own. */
  live(): Connection | undefined;
  /** Runs `f` over `conn`, or over a short-lived `send` connection when there is none. */
  withConnection<T>(conn: Connection | undefined, f: (c: Connection) => Promise<T>): Promise<T>;
  /** Starts sending the outbox over the live session, if there is one. */
  kickOutbox(): void;
}

/**
 * Queues `text` for `to` in the durable outbox (and history, state `queued`) under a fresh id, and starts sending
 * it if the live session is connected; otherwise it goes out on the next connection. Local echo: the `queued`
 * event fires before anything touches the network.
 *
 * @throws {ChatError} BAD_USERNAME / BODY_TOO_LARGE (2).
 */
export function queueMessage(m: QueueContext, to: string, text: string, replyTo?: string, kick = true): StoredMessage {
  const name = normalizeUsername(to);
  refuseBlocked(m.store.blocked, name);
  // A reply (§17.1) is a text that names the message it answers: kind `reply`, the target's id before the text.
  const kind = replyTo === undefined ? MessageKind.text : MessageKind.reply;
  const body = replyTo === undefined ? utf8(text) : concatBytes(fromHex(replyTo), utf8(text));
  if (body.length > MAX_BODY_BYTES) {
    throw new ChatError(
      'BODY_TOO_LARGE',
      `the message is ${body.length} bytes; the limit is ${MAX_BODY_BYTES} bytes (UTF-8)`,
    );
  }
  const id = toHex(randomMessageId());
  const ts = Date.now();
  const message: StoredMessage = {
    id,
    peer: name,
    direction: 'out',
    body: text,
    ts,
    relayTs: null,
    receivedAt: ts,
    state: 'queued',
    ...(replyTo === undefined ? {} : { replyTo }),
  };
  // A note to self enters history once, as 'in', when it is received: an 'out' row under the same id would make
  // the received copy look like a redelivery (§4 step 7) and hide it.
  m.store.outbox.enqueue({ id, peer: name, kind, body, ts }, name === m.username ? undefined : message);
  m.emit('queued', message);
  if (kick) m.kickOutbox();
  return message;
}

/**
 * `chat send`: queues `text` and sends that entry at once, resolving once the relay has stored it durably (`sent`,
 * §9). If it cannot be confirmed the message is withdrawn from the outbox again, so a failed `chat send` leaves
 * nothing behind (scripts retry it themselves).
 *
 * @throws {ChatError} BAD_USERNAME / BODY_TOO_LARGE (2), UNKNOWN_USER (3), KEY_CHANGED (4), unreachable (5), refusal (6).
 */
export async function sendMessage(
  m: QueueContext,
  to: string,
  text: string,
  replyTo?: string,
  options: SendOptions = {},
): Promise<SentMessage> {
  // Not kicked when v1 is refused: the live session's pass would send it under its own rule (v1 allowed).
  const queued = queueMessage(m, to, text, replyTo, options.allowV1 !== false);
  const entry = m.store.outbox.get(queued.id);
  /** Whether a connection to the relay was made at all: without one, nothing can have been stored (hunt3). */
  let connected = false;
  try {
    await m.withConnection(m.live(), async (conn) => {
      connected = true;
      // The live session may have sent it already (same id: the relay stored it once).
      if (entry && m.store.outbox.get(queued.id)) await m.sender.sendEntry(conn, entry, undefined, options);
    });
  } catch (err) {
    // Blocked while it was being sent (the last check before it goes, send/outbox-sender.ts): held like anything else
    // queued for a blocked user (§17.4), not withdrawn; a pass elsewhere may even have sent it under this id.
    if (err instanceof ChatError && err.code === 'BLOCKED') throw err;
    m.store.outbox.withdraw(queued.id);
    if (err instanceof ChatError && err.exitCode === 5) {
      throw new ChatError(err.code, `${err.message}; the message was ${connected ? 'not confirmed' : 'not sent'}`, {
        hint: connected
          ? 'it may or may not have been stored; running chat send again sends it as a new message (new id)'
          : 'nothing reached the relay; running chat send again sends it',
        cause: err,
      });
    }
    throw err;
  }
  const sent: SentMessage = { id: queued.id, to: queued.peer, ts: queued.ts, body: text };
  m.emit('sent', sent);
  return sent;
}

/**
 * Queues a non-text envelope (a file offer or answer, §16.3; an edit, reaction or deletion, §17; a timer, §17.5) in
 * the durable outbox and sends it now over `conn` (or a connection of its own); if that fails it stays queued for the
 * next connection.
 * @throws {ChatError} BLOCKED (2); the connection's error, its message ending "; it is queued" while the entry waits.
 */
export async function sendControl(
  m: QueueContext,
  peer: string,
  kind: MessageKind,
  body: Uint8Array,
  conn?: Connection,
  ts: number = Date.now(),
): Promise<void> {
  refuseBlocked(m.store.blocked, peer); // §17.4: the callers check first; this is the last line for any new one
  const entry = { id: toHex(randomMessageId()), peer, kind, body, ts };
  m.store.outbox.enqueue(entry);
  try {
    await m.withConnection(conn ?? m.live(), async (c) => {
      if (m.store.outbox.get(entry.id)) await m.sender.sendEntry(c, entry);
    });
  } catch (err) {
    // Still queued (an edit, a reaction, a timer, a file offer…): say so, as a group send does, so that nobody runs
    // the command again and sends it twice (hunt1, review rev15).
    if (!(err instanceof ChatError) || !staysQueued(err) || !m.store.outbox.get(entry.id)) throw err;
    throw new ChatError(err.code, `${err.message}; it is queued`, {
      hint: queuedHint(err, kind),
      cause: err,
      queued: true,
    });
  }
}

/** When a queued control envelope goes, and whether running its command again would send it twice. */
function queuedHint(err: ChatError, kind: number): string {
  const when =
    err.exitCode === ExitCode.KEY_CHANGED
      ? 'it goes out once the key question is settled (chat verify, chat trust)'
      : err.code === 'RATE_LIMITED'
        ? "it goes out with a later connection, once the relay's rate allows"
        : 'it goes out with the next connection (chat recv, the interactive session, or a running chat daemon)';
  // A file offer or answer sent again is the same offer or answer (the receiver keeps the first); anything else is
  // a second edit, reaction or timer change.
  const again =
    kind === MessageKind.fileOffer || kind === MessageKind.fileAnswer
      ? 'running the command again is harmless'
      : 'do not run the command again: it would be sent twice';
  return `${when}; ${again}`;
}

/**
 * A group send (§15.5, a group state record §15.3, a room message §15.6): one envelope per recipient (ourselves
 * excluded) queued in the durable outbox, with what `history` writes in the same transaction, then sent now in
 * `fanout` frames over the live session or a connection of its own. A room's recipients are the members the relay
 * lists when it is sent. If that connection fails, the envelopes stay queued and go out on the next one.
 * @throws {ChatError} the connection's error (exit 5), saying the message is queued.
 */
export async function queueFanout(
  m: QueueContext,
  kind: number,
  body: Uint8Array,
  recipients: readonly string[] | { room: string },
  history: (id: string, ts: number) => void,
): Promise<FanoutResult> {
  const entries = enqueueFanout(m, kind, body, recipients, history);
  try {
    const out = await m.withConnection(m.live(), (c) => m.sender.sendFanout(c, entries));
    return {
      stored: out.filter((o) => o.code === '').map(({ to, id }) => ({ to, id })),
      failed: out.filter((o) => o.code !== '').map(({ to, code }) => ({ to, code })),
    };
  } catch (err) {
    if (!(err instanceof ChatError) || !isRetryable(err)) throw err;
    throw new ChatError(err.code, `${err.message}; the message is queued`, {
      hint: 'it goes out with the next connection (chat recv, or the interactive session)',
      cause: err,
    });
  }
}

/**
 * The queueing half of {@link queueFanout}, without sending: one envelope per recipient (ourselves excluded) queued in
 * the durable outbox under one fanout id, with what `history` writes, in one transaction (or the caller's: a receive
 * handler queues a change of its own in its batch's, groups/crossed-leave.ts). Returns the group's entries.
 */
export function enqueueFanout(
  m: Pick<QueueContext, 'username' | 'store'>,
  kind: number,
  body: Uint8Array,
  recipients: readonly string[] | { room: string },
  history: (id: string, ts: number) => void,
): OutboxEntry[] {
  const [fanout, ts] = [toHex(randomMessageId()), Date.now()];
  const peers =
    'room' in recipients
      ? [`${ROOM_PEER}${recipients.room}`]
      : [...new Set(recipients)].filter((u) => u !== m.username);
  let entries: OutboxEntry[] = peers.map((peer) => ({ id: toHex(randomMessageId()), peer, kind, body, ts, fanout }));
  m.store.transaction(() => {
    // §25.6: distributions first, then every copy; the sender chain moves on in this same transaction.
    const all = withSenderKey(m, kind, body, ts, entries, ts);
    for (const e of all) m.store.outbox.enqueue(e);
    history(entries[0]?.id ?? fanout, ts);
    entries = all.filter((e) => e.fanout === fanout);
  });
  return entries;
}

/** Queues receipts (§4.1) for `ids` of messages from `peer`, 256 ids per envelope. Never to ourselves. */
export function queueReceipt(
  m: QueueContext,
  peer: string,
  kind: typeof MessageKind.delivered | typeof MessageKind.read,
  ids: readonly string[],
): void {
  if (enqueueReceipts(m, peer, kind, ids)) m.kickOutbox();
}

/**
 * `queueReceipt` without starting to send: the receiver writes receipts in the transaction that commits the messages
 * they name (ReceiveContext), and kicks the outbox once that has committed. True if anything was queued.
 */
export function enqueueReceipts(
  m: QueueContext,
  peer: string,
  kind: typeof MessageKind.delivered | typeof MessageKind.read,
  ids: readonly string[],
): boolean {
  if (peer === m.username || ids.length === 0 || m.store.blocked.has(peer)) return false;
  const contact = m.store.contacts.get(peer);
  for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
    const body = fromHex(ids.slice(i, i + MAX_RECEIPT_IDS).join(''));
    const entry: OutboxEntry = { id: toHex(randomMessageId()), peer, kind, body, ts: Date.now() };
    m.store.transaction(() => {
      m.store.outbox.enqueue(entry);
      sealNow(m, entry, contact);
    });
  }
  return true;
}

/**
 * Seals `entry` at enqueue in the current v2 session with a sendable `contact` (§24.2), in the caller's transaction:
 * the receiver's batch commit then carries the receipt's envelope and the session's new state, and sending it costs
 * no transaction (and fsync) of its own. Anything else (no session, a key not accepted, v1) is sealed at the first
 * send attempt, as before (outbox-sender.ts; the same checks and lookup run there either way).
 */
function sealNow(m: QueueContext, entry: OutboxEntry, contact: Contact | undefined): void {
  if (!maySendTo(contact)) return;
  const session = currentSession(m, contact);
  if (!session) return;
  try {
    m.store.transaction(() => {
      m.store.outbox.sealed(entry.id, sealInSession(m, session, contact, plainOf(entry)), contact.encryptionPublicKey);
    });
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err; // a CryptoError: left unsealed, the send reports it
  }
}

/** Marks the conversation with `peer` read and, unless turned off in settings, sends `read` receipts. */
export function markRead(m: QueueContext, peer: string): string[] {
  const ids = m.store.outbox.markRead(peer);
  if (ids.length > 0 && m.settings.readReceipts) queueReceipt(m, peer, MessageKind.read, ids);
  return ids;
}

/**
 * Tells `to` that we are typing (or stopped), ephemerally (§4.1, §9): only over the live session, only under the
 * pinned key, and only if they are online; every failure is ignored, since a typing signal is worth nothing late.
 */
export async function sendTyping(m: QueueContext, to: string, active: boolean): Promise<boolean> {
  const conn = m.live();
  if (!conn || to === m.username || !m.settings.typingIndicators || m.store.blocked.has(to)) return false;
  const id = toHex(randomMessageId());
  try {
    // About to write to them: the same trust rule as a message (§3.4): a key not accepted (changed) is never used.
    const pinned = m.store.contacts.get(to);
    const contact = maySendTo(pinned) ? pinned : await m.lookupAndPin(to, conn);
    const env = sealTyping(
      m,
      { id, peer: to, kind: MessageKind.typing, body: Uint8Array.of(active ? 1 : 0), ts: Date.now() },
      contact,
    );
    if (!env) return false; // a v2 peer with no session yet: a typing signal never starts one (§24.2)
    if (m.store.blocked.has(to)) return false; // blocked while it was looked up (§17.4): checked again, as the outbox does
    await conn.send(to, fromHex(id), env, { eph: true });
    return true;
  } catch {
    return false;
  }
}
