/**
 * The engine: everything `chat send`, `chat recv` and a later interactive UI do, on one code path. Commands print
 * what it returns or emits; a UI subscribes to the same events.
 *
 * It imports neither the SQLite addon nor anything that draws: the store is loaded lazily by `Messenger.open`.
 */
import { join } from 'node:path';
import type { SendOptions } from './send/outbox-sender.js';
import { describeThisProcess, markReceiving, nameTheHolder, unmarkReceiving } from './receiving-marker.js';
import { EventEmitter } from 'node:events';
import { type MessageKind, fromHex, type Identity, loadMlkem } from '@chat/crypto';
import type { Mode } from '@chat/protocol';
import { parseRelayAddress, type RelayAddress } from './address.js';
import { Connection, type ConnectOptions } from './net/connection.js';
import { ChatError } from './errors.js';
import type { ChatConfig, Profile, UnlockedKeys } from './profile.js';
import type { Contact, StoredMessage, Store } from './store/store.js';
import {
  DEFAULT_TRUST_NEW_IDENTITIES,
  safetyNumberView,
  trustContact,
  type Reconciled,
  type SafetyNumberView,
  type TrustNewIdentities,
  type TrustResult,
} from './contacts/identities.js';
import { OutboxSender, isRetryable } from './send/outbox-sender.js';
import * as queue from './send/queue.js';
import { DEFAULT_SETTINGS, type Settings } from './settings.js';
import { lookupAndPin, lookupContact, type ContactsDeps } from './contacts/contacts.js';
import { normalizeUsername } from './username.js';
import type { ReceiveContext } from './context.js';
import type { FanoutResult, MessengerEvents, SentMessage, ReceiveOptions, ReceiveSummary } from './events.js';
import { fileHandlers } from './files/incoming.js';
import { groupHandlers } from './groups/receive.js';
import { senderKeyHandlers } from './groups/sender-key-receive.js';
import { senderKeyRequestHandlers } from './groups/sender-key-request.js';
import { messageHandlers } from './messages.js';
import { recoveryHandlers } from './v2/recovery.js';
import { actionHandlers } from './actions/receive.js';
import { timerHandlers } from './expire/timers.js';
import type { KindHandlers } from './receive/handlers.js';
import { openHeldGroupMessages } from './receive/group-held.js';

export type * from './events.js';

export interface MessengerOptions {
  profile: Profile;
  identity: Identity;
  config: ChatConfig;
  store: Store;
  /** Overrides the configured relay address (e.g. from CHAT_RELAY); the pinned relay id still applies. */
  relay?: RelayAddress | undefined;
  agent?: string;
  /** Unlocks passphrase-protected keys (§13.1); ignored for unencrypted ones. */
  passphrase?: string | undefined;
  /** What to do with keys not accepted before (§3.4); default on-first-use. */
  trustNewIdentities?: TrustNewIdentities | undefined;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** settings.json (settings.ts); defaults when absent. */
  settings?: Settings;
  /** The storage key chat.db was opened with (§13.3): `chat daemon` hands it to its own user's readers. */
  storageKey?: Uint8Array;
  /**
   * Say `hello` 1 on every connection (§23.1): this client then speaks v1 only, as one from before v2 does (it
   * publishes and fetches no prekeys). What interoperability with such a client is tested against.
   */
  v1Only?: boolean;
}

/** What `Messenger.open` takes besides the profile. */
export type OpenOptions = Partial<
  Omit<MessengerOptions, 'profile' | 'identity' | 'config' | 'store' | 'storageKey'>
> & {
  /** An unlock of this profile's keys already under way (`profile.unlockKeys`); else `open` starts one. */
  unlocking?: Promise<UnlockedKeys> | undefined;
  /**
   * Start connecting in this mode at once: TLS, the certificate pin, `hello` and the relay-id check (§8) overlap the
   * key derivation (scrypt), and `auth` follows as soon as the keys are unlocked. The first `connect(mode)` takes
   * that connection; `close()` closes it if nothing did.
   */
  connectEarly?: Mode | undefined;
};

export class Messenger extends EventEmitter<MessengerEvents> {
  readonly username: string;
  readonly address: RelayAddress;
  readonly identity: Identity;
  readonly store: Store;
  readonly trustNewIdentities: TrustNewIdentities;
  /** Who handles each §4 kind on receipt (receive/handlers.ts), registered by the features. */
  readonly handlers: KindHandlers;
  readonly settings: Settings;
  private readonly outboxSender = new OutboxSender(this, () => this.kickOutbox());
  /** The connection `open` started with `connectEarly`, until `connect` takes it. */
  private early: { mode: Mode; conn: Promise<Connection> } | undefined;
  private live: Connection | undefined;
  /** What this process is, as a refused receiver elsewhere is told (receiving-marker.ts). */
  receiverName = describeThisProcess();
  /** The following receive session's re-check of held envelopes (§3.4), while one runs. */
  private heldRetry: ((from: string) => number) | undefined;
  private readonly contactsDeps: ContactsDeps;
  /** What send/queue.ts uses of the messenger. */
  private readonly q: queue.QueueContext;

  constructor(private readonly opts: MessengerOptions) {
    super();
    this.username = opts.config.username;
    this.identity = opts.identity;
    this.store = opts.store;
    this.address = opts.relay ?? parseRelayAddress(opts.config.relay);
    this.trustNewIdentities = opts.trustNewIdentities ?? DEFAULT_TRUST_NEW_IDENTITIES;
    this.settings = opts.settings ?? { ...DEFAULT_SETTINGS };
    this.contactsDeps = { store: this.store, policy: this.trustNewIdentities, emit: (e, ...a) => this.emit(e, ...a) };
    this.handlers = new Map([
      ...messageHandlers(this),
      ...groupHandlers(this, () => this.kickOutbox()),
      ...senderKeyHandlers(this, (gid, sender, epoch, d, now) =>
        openHeldGroupMessages(this, gid, sender, epoch, d, now),
      ),
      ...senderKeyRequestHandlers(this),
      ...fileHandlers(this),
      ...actionHandlers(this),
      ...timerHandlers(this),
      ...recoveryHandlers({
        store: this.store,
        emit: (e, ...a) => this.emit(e, ...a),
        kickOutbox: () => this.kickOutbox(),
      }),
    ]);
    this.q = {
      username: this.username,
      identity: this.identity,
      store: this.store,
      settings: this.settings,
      sender: this.outboxSender,
      emit: (e, ...a) => this.emit(e, ...a),
      lookupContact: (user, conn) => this.lookupContact(user, conn),
      lookupAndPin: (user, conn) => this.lookupAndPin(user, conn),
      live: () => this.live,
      withConnection: (conn, f) => this.withConnection(conn, 'send', f),
      kickOutbox: () => this.kickOutbox(),
    };
  }

  /** The storage key of chat.db (§13.3), when this messenger opened it. */
  get storageKey(): Uint8Array | undefined {
    return this.opts.storageKey;
  }

  /** The profile's private directory of locks between its processes (store/locks.ts: a download's claim). */
  get lockDir(): string {
    return join(this.opts.profile.home, 'locks');
  }

  /** The receiving session while `receive()` runs; sends use it instead of opening a second connection. */
  get recvConnection(): Connection | undefined {
    return this.live;
  }

  /**
   * Loads identity (unlocking it with `options.passphrase`), config and history from a profile.
   * @throws {ChatError} NO_IDENTITY, NOT_LOGGED_IN, PROFILE_CORRUPT, PASSPHRASE_REQUIRED, BAD_PASSPHRASE (exit 7).
   */
  static async open(profile: Profile, options: OpenOptions = {}): Promise<Messenger> {
    if (!profile.hasIdentity()) profile.loadIdentity(); // throws NO_IDENTITY (hint: chat keygen) before anything else
    // scrypt (for a passphrase-protected identity) runs on the thread pool while SQLite loads here; the database opens
    // once it has given the storage key (§13.3).
    const unlocking = options.unlocking ?? profile.unlockKeys(options.passphrase);
    unlocking.catch(() => {});
    const unlockingIdentity = unlocking.then((k) => k.identity);
    unlockingIdentity.catch(() => {});
    const config = profile.requireConfig();
    const { passphrase: _unused, unlocking: _started, connectEarly, ...rest } = options;
    let early: { mode: Mode; conn: Promise<Connection> } | undefined;
    if (connectEarly !== undefined) {
      const address = rest.relay ?? parseRelayAddress(config.relay);
      early = {
        mode: connectEarly,
        conn: Connection.open(connectOptions(config, address, unlockingIdentity, connectEarly, rest)),
      };
      early.conn.catch(() => {});
      // A send may be a first contact (an ML-KEM encapsulation, §19.2). While scrypt runs on the thread pool and TLS
      // waits on the network this thread is idle: load the ML-KEM code now rather than after the prekey fetch. Not
      // without a passphrase: then nothing hides the load, and a send in an existing session never needs it.
      if (connectEarly === 'send' && options.passphrase !== undefined) loadMlkem().catch(() => {});
    }
    let store: Store | undefined;
    try {
      const { Store } = await import('./store/store.js');
      const { loadSettings } = await import('./settings.js');
      const settings = options.settings ?? loadSettings(profile.home);
      const { identity, storageKey } = await unlocking;
      store = Store.open(profile.dbPath, storageKey);
      const messenger = new Messenger({ ...rest, profile, identity, config, store, settings, storageKey });
      messenger.early = early;
      return messenger;
    } catch (err) {
      store?.close();
      if (early) void closeWhenOpen(early.conn);
      throw err;
    }
  }

  /**
   * Opens an authenticated connection to our relay, refusing one whose id changed (§8) or whose TLS certificate is
   * not the pinned one (§5.1). A profile from before TLS has no pin yet: the first certificate seen is pinned.
   */
  async connect(mode: Mode): Promise<Connection> {
    const config = this.opts.config;
    const o = connectOptions(config, this.address, this.identity, mode, this.opts);
    const early = this.early?.mode === mode ? this.early.conn : undefined;
    if (early) this.early = undefined;
    // A relay gives a connection HANDSHAKE_TIMEOUT (§11) to authenticate; keys slower to unlock than that cost the
    // early connection, not the command: connect again now that they are unlocked.
    const conn = await (early?.catch((err: unknown) => {
      if (err instanceof ChatError && err.code === 'HANDSHAKE_TIMEOUT') return Connection.open(o);
      throw err;
    }) ?? Connection.open(o));
    if (o.expectedCertFingerprint === undefined && conn.certFingerprint !== undefined) {
      config.relayCert = conn.certFingerprint;
      this.opts.profile.saveConfig(config);
    }
    return conn;
  }

  /** Looks `user` up and applies the trust policy (contacts/contacts.ts, §3.4); refuses nothing. */
  async lookupContact(user: string, conn?: Connection): Promise<Reconciled> {
    return this.withConnection(conn, 'send', (c) => lookupContact(this.contactsDeps, normalizeUsername(user), c));
  }

  /** Looks `user` up and returns the contact if its key may be used (contacts/contacts.ts). @throws {ChatError} as there. */
  async lookupAndPin(user: string, conn?: Connection): Promise<Contact> {
    return this.withConnection(conn, 'send', (c) => lookupAndPin(this.contactsDeps, normalizeUsername(user), c));
  }

  /** A contact from the local store, if pinned. */
  contact(user: string): Contact | undefined {
    return this.store.contacts.get(normalizeUsername(user));
  }

  /**
   * The safety number with `user` (§3.5), for `chat verify` and the UI's `/verify`. Offline for a pinned contact;
   * looks an unknown one up (and pins it under the policy) first.
   * @throws {ChatError} UNKNOWN_USER (3), connection errors for an unknown contact.
   */
  async safetyNumber(user: string): Promise<SafetyNumberView> {
    const contact = this.contact(user) ?? (await this.lookupContact(user)).contact;
    return safetyNumberView({ username: this.username, identityPublicKey: this.identity.identity.publicKey }, contact);
  }

  /**
   * Accepts `user`'s changed or untrusted key, and with `verify` (the digits read from the other side) marks it
   * verified (§3.5, constant-time comparison). Messages held under that key are checked again at once by a following
   * `receive()` running now (in their delivery order), else by the next one (they are still on the relay).
   * @throws {ChatError} NO_SUCH_CONTACT (3) if never seen; SAFETY_NUMBER_MISMATCH (4), nothing changed.
   */
  trust(user: string, options: { verify?: string } = {}): TrustResult {
    const name = normalizeUsername(user);
    const contact = this.store.contacts.get(name);
    if (!contact) {
      throw new ChatError('NO_SUCH_CONTACT', `${name} is not among your contacts`, {
        hint: `chat verify ${name} looks ${name} up on the relay first`,
      });
    }
    const result = trustContact(
      this.store,
      { username: this.username, identityPublicKey: this.identity.identity.publicKey },
      contact,
      options.verify,
    );
    this.heldRetry?.(name);
    return result;
  }

  /** Queues `text` for `to` (send/queue.ts); the `queued` event fires before anything touches the network. @throws {ChatError} */
  queueMessage(to: string, text: string, replyTo?: string): StoredMessage {
    return queue.queueMessage(this.q, to, text, replyTo);
  }

  /** `chat send`: queues `text` and sends it at once, resolving on the relay's `sent` (send/queue.ts). @throws {ChatError} */
  sendMessage(to: string, text: string, replyTo?: string, options?: SendOptions): Promise<SentMessage> {
    return queue.sendMessage(this.q, to, text, replyTo, options);
  }

  /** Queues a control envelope (a file offer or answer, §16.3) and sends it now over `conn` or a connection of its own. */
  sendControl(peer: string, kind: MessageKind, body: Uint8Array, conn?: Connection, ts?: number): Promise<void> {
    return queue.sendControl(this.q, peer, kind, body, conn, ts);
  }

  /** A group, group-record or room send through the durable outbox (send/queue.ts, §15). @throws {ChatError} */
  queueFanout(
    kind: number,
    body: Uint8Array,
    recipients: readonly string[] | { room: string },
    history: (id: string, ts: number) => void,
  ): Promise<FanoutResult> {
    return queue.queueFanout(this.q, kind, body, recipients, history);
  }

  /** Sends the whole outbox over `conn` (default: the live session). @throws {ChatError} the connection error. */
  flushOutbox(conn: Connection | undefined = this.recvConnection): Promise<void> {
    return conn ? this.outboxSender.flush(conn) : Promise.resolve();
  }

  /** Queues receipts (§4.1) for `ids` of messages from `peer`, 256 ids per envelope. Never to ourselves. */
  queueReceipt(
    peer: string,
    kind: typeof MessageKind.delivered | typeof MessageKind.read,
    ids: readonly string[],
  ): void {
    queue.queueReceipt(this.q, peer, kind, ids);
  }

  /** Marks the conversation with `peer` read and, unless turned off in settings, sends `read` receipts. */
  markRead(peer: string): string[] {
    return queue.markRead(this.q, peer);
  }

  /** Tells `to` that we are typing (or stopped), ephemerally, over the live session only (send/queue.ts, §4.1). */
  sendTyping(to: string, active: boolean): Promise<boolean> {
    return queue.sendTyping(this.q, to, active);
  }

  /** Who has a receiving session on the relay now (§6.1 `who`). */
  async who(): Promise<string[]> {
    const users = await this.withConnection(this.recvConnection, 'send', (c) => c.who());
    const now = Date.now();
    for (const u of users) if (this.store.contacts.get(u)) this.store.outbox.setLastSeen(u, now);
    return users;
  }

  /** Starts sending the outbox over the live session, if there is one (errors become `warning` events). */
  private kickOutbox(): void {
    const conn = this.recvConnection;
    if (!conn) return;
    this.outboxSender.flush(conn).catch((err: unknown) => {
      // A lost connection is the live session's to report and retry; anything else is worth an event.
      if (!(err instanceof ChatError) || !isRetryable(err))
        this.emit('warning', `sending queued messages failed: ${(err as Error)?.message ?? String(err)}`);
    });
  }

  /**
   * Receives the mailbox (§9): each envelope is opened and checked (§4), committed to history, then acknowledged.
   * Without `follow`, resolves after `synced` once everything delivered is committed and acknowledged; with it,
   * keeps listening until `signal` aborts. Emits `message`, `held`, `rejected`, `synced`.
   *
   * @throws {ChatError} ALREADY_RECEIVING (6), RELAY_CHANGED (6), unreachable or dropped (5), …
   */
  async receive(options: ReceiveOptions = {}): Promise<ReceiveSummary> {
    // Loaded on use: `chat send` never needs it, and every module costs start-up time.
    const { receive } = await import('./receive/receiver.js');
    const ctx: ReceiveContext = {
      ...this.q, // our keys, emit, the lookup, kickOutbox
      store: this.store,
      handlers: this.handlers,
      connect: (mode) => this.connect(mode),
      flushOutbox: (conn) => this.flushOutbox(conn),
      publishPrekeys: (conn) => this.publishPrekeys(conn),
      enqueueReceipts: (peer, kind, ids) =>
        queue.enqueueReceipts(this.q, peer, kind as typeof MessageKind.delivered, ids),
      setHeldRetry: (retry) => {
        this.heldRetry = retry;
      },
      setLive: (conn, up) => {
        if (up) this.live = conn;
        else if (this.live === conn) this.live = undefined;
        // Whose session this is, for a refused one elsewhere (receiving-marker.ts).
        if (up) markReceiving(this.opts.profile.home, this.receiverName);
        else unmarkReceiving(this.opts.profile.home);
      },
    };
    return receive(ctx, options).catch((err: unknown) => {
      throw nameTheHolder(err, this.opts.profile.home, this.username);
    });
  }

  /**
   * Publishes our prekeys on `conn` if it speaks v2 (PROTOCOL.md §23.3), and replenishes the one-time keys whenever
   * the relay reports them low (§23.5). Never rejects: a failure is a warning, receiving goes on, and the next
   * connection tries again.
   */
  async publishPrekeys(conn: Connection): Promise<void> {
    if (!conn.speaksV2) return;
    const warn = (err: unknown): void => {
      if (!(err instanceof ChatError) || !isRetryable(err))
        this.emit('warning', `publishing prekeys failed: ${(err as Error)?.message ?? String(err)}`);
    };
    const { publishPrekeys, replenishFrom } = await import('./v2/publish.js');
    // The relay tells our counts right after `welcome` (§23.5): with them, a reconnect that has nothing new to publish
    // sends no request (publish.ts), so a session reconnecting under its rate limit (§11) does not starve itself.
    if (conn.lastPrekeyCounts === undefined && conn.state !== 'closed')
      await new Promise<void>((resolve) => {
        const done = (): void => {
          conn.off('prekeyCount', done);
          conn.off('close', done);
          resolve();
        };
        conn.on('prekeyCount', done);
        conn.on('close', done);
      });
    conn.on('prekeyCount', (counts) => void replenishFrom(this.q, conn, counts).catch(warn));
    await publishPrekeys({ ...this.q, store: this.store }, conn).catch(warn);
  }

  contacts(): Contact[] {
    return this.store.contacts.list();
  }

  history(options: { peer?: string; limit?: number } = {}): StoredMessage[] {
    return this.store.messages.list(options);
  }

  close(): void {
    this.outboxSender.stop();
    if (this.early) void closeWhenOpen(this.early.conn);
    this.early = undefined;
    this.store.close();
  }

  /** Runs `f` over the live session if there is one, else over a short-lived `send` connection. */
  withConnectionFor<T>(f: (c: Connection) => Promise<T>): Promise<T> {
    return this.withConnection(this.recvConnection, 'send', f);
  }

  private async withConnection<T>(
    conn: Connection | undefined,
    mode: Mode,
    f: (c: Connection) => Promise<T>,
  ): Promise<T> {
    if (conn) return f(conn);
    const own = await this.connect(mode);
    try {
      return await f(own);
    } finally {
      await own.close();
    }
  }
}

/** The connection settings for our relay (§5.1 pin, §8 relay id) from the profile's config. */
function connectOptions(
  config: ChatConfig,
  address: RelayAddress,
  identity: Identity | Promise<Identity>,
  mode: Mode,
  opts: Pick<MessengerOptions, 'agent' | 'connectTimeoutMs' | 'requestTimeoutMs' | 'v1Only'>,
): ConnectOptions {
  const o: ConnectOptions = {
    address,
    username: config.username,
    identity,
    mode,
    expectedRelayId: fromHex(config.relayId),
    insecure: config.insecure === true,
    expectedCertFingerprint: address.fingerprint ?? config.relayCert,
  };
  if (opts.agent !== undefined) o.agent = opts.agent;
  if (opts.connectTimeoutMs !== undefined) o.connectTimeoutMs = opts.connectTimeoutMs;
  if (opts.requestTimeoutMs !== undefined) o.requestTimeoutMs = opts.requestTimeoutMs;
  if (opts.v1Only) o.v1Only = true;
  return o;
}

/** Closes a connection nobody took, once it is open (a failed one needs nothing). */
async function closeWhenOpen(conn: Promise<Connection>): Promise<void> {
  try {
    await (await conn).close();
  } catch {
    // it never opened
  }
}
