import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { CryptoError, verify, verifyBundle, isValidUsername, constantTimeEqual } from '@chat/crypto';
import {
  FrameDecoder,
  ProtocolError,
  authMessage,
  decodeClientFrame,
  encodeFrame,
  errFrame,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_2,
  PROTOCOL_VERSIONS,
  type AckFrame,
  type AdminFrame,
  type AuthFrame,
  type ClientFrame,
  type ErrorCode,
  type LookupFrame,
  type FanoutFrame,
  type Mode,
  type RelayFrame,
  type SendFrame,
} from '@chat/protocol';
import { addressPrefixes, mailboxAddressKey } from './address-key.js';
import { answerAdminFrame } from './admin/frames.js';
import { isAdmin } from './admins.js';
import { answerBlobFrame } from './blobs/frames.js';
import type { Kickable, PrekeyListener, RelayContext, Receiver } from './context.js';
import { forwardEphemeral, onlineUsers } from './ephemeral.js';
import { storeFanout } from './fanout.js';
import { checkRecipient, fitsWithoutLookup, recipientRefusal } from './recipient.js';
import { answerRoomFrame } from './rooms.js';
import { answerPrekeyGet, answerPrekeyPut } from './prekeys/frames.js';
import type { PrekeyCounts } from './store/prekeys.js';

/**
 * Connection states (PROTOCOL.md §7):
 * `connected` --hello--> `hello` --auth ok--> `authenticated` --close / fatal err / shutdown--> `closing`.
 */
export type SessionState = 'connected' | 'hello' | 'authenticated' | 'closing';

/** The one state in which each client frame is accepted (§6.1). */
const ACCEPTED_IN: Record<ClientFrame['t'], SessionState> = {
  hello: 'connected',
  auth: 'hello',
  lookup: 'authenticated',
  send: 'authenticated',
  ack: 'authenticated',
  ping: 'authenticated',
  who: 'authenticated',
  admin: 'authenticated',
  fanout: 'authenticated',
  room: 'authenticated',
  blob_new: 'authenticated',
  blob_put: 'authenticated',
  blob_get: 'authenticated',
  blob_done: 'authenticated',
  prekey_put: 'authenticated',
  prekey_get: 'authenticated',
};

/**
 * Requests charged to the user's rate limits (§11); `ack` is not (it is metered by its own bucket, `onAck`). Of the blob frames
 * (§16.4) the requests are, the chunk uploads (`blob_put`) are not: the file size and quota bound those.
 */
const RATED: ReadonlySet<ClientFrame['t']> = new Set([
  'lookup',
  'send',
  'ping',
  'who',
  'admin',
  'fanout',
  'room',
  'blob_new',
  'blob_get',
  'blob_done',
  'prekey_put',
  'prekey_get',
]);

/** Envelopes a frame asks the relay to store: what the envelope rate (§11) charges. */
function envelopesIn(frame: ClientFrame): number {
  if (frame.t === 'send') return frame.eph === true ? 0 : 1;
  if (frame.t === 'fanout') return frame.to.length;
  return 0;
}

const DELIVERY_PAGE = 256;
/** Longest single read pause of a throttled connection; well under the idle timeout. */
const MAX_THROTTLE_MS = 10_000;
const CLOSE_GRACE_MS = 2_000;

/** One client connection: decodes its frames, enforces the state machine, and runs one handler per frame type. */
export class Session implements Receiver, Kickable, PrekeyListener {
  state: SessionState = 'connected';
  /** The version this connection speaks, from `hello` (§23.1). */
  private version = PROTOCOL_VERSION;
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  private readonly nonce = new Uint8Array(randomBytes(32));
  private user: string | undefined;
  private identityKey: Uint8Array | undefined;
  private mode: Mode | undefined;
  private cursor = 0;
  private pumping = false;
  /** Something may have been stored since the pump last looked (set by `notify`, cleared when the pump looks). */
  private wanted = false;
  /** Decoded frame bodies not yet handled, in arrival order, from `inboxHead` on. */
  private inbox: Uint8Array[] = [];
  private inboxHead = 0;
  private draining = false;
  private synced = false;
  private readonly handshakeTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastFrameAt = 0;
  private keepaliveSentAt = 0;
  private corked = false;
  private throttled = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly socket: Socket,
    private readonly connId: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => {}); // 'close' follows; resets are routine.
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'authenticated') this.fail('HANDSHAKE_TIMEOUT', 'no authentication in time');
    }, ctx.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  private onData(chunk: Buffer): void {
    this.ctx.metrics.socketBytes('in', chunk.length);
    if (this.state === 'closing') return;
    let bodies: Uint8Array[];
    try {
      bodies = this.decoder.push(chunk);
    } catch (err) {
      this.failWith(err);
      return;
    }
    for (const body of bodies) this.inbox.push(body);
    if (!this.draining) void this.drainInbox();
  }

  /**
   * Handles frames one at a time in arrival order. A handler returns a promise when the next frame must wait for it
   * (its intake: `auth`, which changes the state, and the requests answered from the store, whose effects a later
   * frame may depend on); meanwhile the socket is paused, so waiting frames stay few. A stored `send` or `fanout`
   * queues its envelopes synchronously and does not hold the next frame back: a burst of sends still lands in one
   * group commit, in arrival order, and waits for the commit only for its reply.
   */
  private async drainInbox(): Promise<void> {
    this.draining = true;
    try {
      while (this.inboxHead < this.inbox.length) {
        const body = this.inbox[this.inboxHead++]!;
        if (this.isClosing()) break; // a frame earlier in this chunk may have ended the session
        this.lastFrameAt = Date.now();
        try {
          const frame = decodeClientFrame(body);
          if (
            this.state === 'authenticated' &&
            RATED.has(frame.t) &&
            !this.allowed(frame as { rid: number }, body.length, envelopesIn(frame))
          ) {
            continue;
          }
          const intake = this.dispatch(frame);
          if (intake !== undefined) {
            this.socket.pause();
            try {
              await intake;
            } finally {
              if (!this.throttled && !this.isClosing()) this.socket.resume();
            }
          }
        } catch (err) {
          this.failWith(err);
        }
      }
    } finally {
      this.inbox = [];
      this.inboxHead = 0;
      this.draining = false;
    }
  }

  private isClosing(): boolean {
    return this.state === 'closing';
  }

  /** Runs the handler of `frame`; a promise when the next frame must wait for it (`drainInbox`). */
  private dispatch(frame: ClientFrame): Promise<void> | undefined {
    if (ACCEPTED_IN[frame.t] !== this.state) {
      throw new ProtocolError('PROTOCOL_STATE', `'${frame.t}' is not allowed in state ${this.state}`);
    }
    switch (frame.t) {
      case 'hello':
        if (!PROTOCOL_VERSIONS.includes(frame.v)) {
          throw new ProtocolError(
            'UNSUPPORTED_VERSION',
            `this relay speaks versions ${PROTOCOL_VERSIONS.join(' and ')}`,
          );
        }
        this.version = frame.v;
        this.state = 'hello';
        this.write({
          t: 'challenge',
          v: frame.v,
          relay: this.ctx.store.relayId,
          nonce: this.nonce,
          maxFrame: MAX_FRAME_BYTES,
          maxEnvelope: this.ctx.limits.maxEnvelopeBytes,
        });
        return undefined;
      case 'auth':
        return this.onAuth(frame);
      case 'lookup':
        return this.onLookup(frame);
      case 'send':
        return this.onSend(frame);
      case 'ack':
        this.onAck(frame);
        return undefined;
      case 'ping':
        // After the deletions of earlier `ack`s have committed (§9): a `pong` means they took effect.
        void this.ctx.commits.settled().then(() => this.write({ t: 'pong', rid: frame.rid }));
        return undefined;
      case 'who':
        return onlineUsers(this.ctx, frame.rid).then((reply) => void this.write(reply));
      case 'admin':
        return this.onAdmin(frame);
      case 'fanout':
        void this.onFanout(frame).catch((err: unknown) => this.failWith(err));
        return undefined;
      case 'room':
        return answerRoomFrame(this.ctx.rooms, this.user!, frame, this.ctx.now()).then((reply) => {
          this.write(reply);
        });
      case 'blob_new':
      case 'blob_put':
      case 'blob_get':
      case 'blob_done': {
        const answered = answerBlobFrame(this.ctx, this.ctx.blobs, this.user!, frame, {
          write: (f) => this.write(f),
          drained: () => this.drained(),
          alive: () => this.state === 'authenticated',
        });
        // A download streams for as long as the reader reads: later frames do not wait for it.
        return frame.t === 'blob_get' ? undefined : answered;
      }
      case 'prekey_put':
      case 'prekey_get': {
        if (this.version !== PROTOCOL_VERSION_2) {
          throw new ProtocolError('PROTOCOL_STATE', `'${frame.t}' is only allowed on a version-2 connection`);
        }
        const answer =
          frame.t === 'prekey_put'
            ? answerPrekeyPut(this.ctx, this.user!, this.identityKey!, frame)
            : answerPrekeyGet(this.ctx, this.user!, addressPrefixes(this.socket.remoteAddress), frame);
        return answer.then((reply) => {
          this.write(reply);
        });
      }
    }
  }

  /** Per-user token buckets (§11): a refused request gets a non-fatal `RATE_LIMITED` and is not carried out. */
  private allowed(frame: { rid: number }, bytes: number, envelopes: number): boolean {
    const wait = this.ctx.rates.take(this.user!, bytes, Date.now(), envelopes);
    if (wait === 0) return true;
    const after = Number.isFinite(wait) ? `retry in ${wait} ms` : 'the request is larger than the byte burst';
    this.write(errFrame('RATE_LIMITED', `rate limit exceeded; ${after}`, frame.rid));
    return false;
  }

  /** Idle timeout (§7): `keepalive` after `keepaliveMs` without a complete frame, `IDLE_TIMEOUT` after `idleTimeoutMs`. */
  private armIdle(): void {
    const { keepaliveMs, idleTimeoutMs } = this.ctx.limits;
    const silentFor = Date.now() - this.lastFrameAt;
    let wait: number;
    if (silentFor >= idleTimeoutMs) {
      this.fail('IDLE_TIMEOUT', `no frame for ${Math.round(idleTimeoutMs / 1000)} s`);
      return;
    }
    if (silentFor >= keepaliveMs) {
      // One keepalive per silence: a new one only if the client has sent a frame since the last.
      if (this.keepaliveSentAt <= this.lastFrameAt) {
        this.keepaliveSentAt = Date.now();
        this.write({ t: 'keepalive' });
      }
      wait = idleTimeoutMs - silentFor;
    } else {
      wait = keepaliveMs - silentFor;
    }
    this.idleTimer = setTimeout(() => this.armIdle(), wait);
    this.idleTimer.unref();
  }

  private async onAdmin(f: AdminFrame): Promise<void> {
    this.write(await answerAdminFrame(this.ctx, this.user!, this.identityKey!, f));
  }

  /** PROTOCOL.md §8, steps 1–4, in that order. */
  private async onAuth(f: AuthFrame): Promise<void> {
    if (!isValidUsername(f.user)) throw new ProtocolError('BAD_USERNAME', 'usernames match ^[a-z][a-z0-9_-]{2,31}$');
    const known = await this.ctx.store.getUser(f.user);
    // A returning user presents the bundle the relay verified when it registered them: the same bytes verify the same
    // way, so only a bundle that differs from the stored one is verified again (it fails, or it is KEY_MISMATCH below).
    const sameBundle =
      known !== undefined &&
      constantTimeEqual(known.identityPublicKey, f.idpk) &&
      constantTimeEqual(known.encryptionPublicKey, f.encpk) &&
      constantTimeEqual(known.bundleSignature, f.bsig);
    if (!sameBundle) {
      try {
        verifyBundle({ username: f.user, identityPublicKey: f.idpk, encryptionPublicKey: f.encpk, signature: f.bsig });
      } catch (err) {
        // A bundle that fails a check is the client's fault; anything else (libsodium missing, say) is ours.
        if (!(err instanceof CryptoError)) throw err;
        throw new ProtocolError('AUTH_FAILED', 'key bundle does not verify');
      }
    }
    if (!verify(f.sig, authMessage(this.ctx.store.relayId, this.nonce, f.user, f.mode), f.idpk)) {
      throw new ProtocolError('AUTH_FAILED', 'challenge signature does not verify');
    }
    if (await this.ctx.accounts.isBanned(f.user))
      throw new ProtocolError('BANNED', `${f.user} is banned on this relay`);
    // A configured admin name is reserved for the key bound to it (§14.1), on every relay: on an open relay a squatter
    // would otherwise register it first and receive what is sent to the admin (review 2026-12-06, finding 9).
    if (this.ctx.policy.admins.has(f.user) && !isAdmin(this.ctx.policy.admins, f.user, f.idpk)) {
      throw new ProtocolError('KEY_MISMATCH', `${f.user} is reserved for a configured admin with another key`);
    }
    const record = {
      username: f.user,
      identityPublicKey: f.idpk,
      encryptionPublicKey: f.encpk,
      bundleSignature: f.bsig,
      createdAt: this.ctx.now(),
    };
    // Mass registration (§11): an open relay charges each new name to the client's IP address; on an invite-only relay
    // the invite is the limit. Returning users are never charged.
    if (!known && this.ctx.policy.registration === 'open') {
      const wait = this.ctx.rates.takeRegistration(addressPrefixes(this.socket.remoteAddress), Date.now());
      if (wait > 0) {
        throw new ProtocolError(
          'REGISTRATION_RATE_LIMITED',
          `too many new accounts from your address; retry in ${Math.ceil(wait / 1000)} s`,
        );
      }
    }
    let invited = false;
    // A configured admin registers without an invite (its key was checked above, §14.1).
    if (this.ctx.policy.registration === 'invite' && !known && !this.ctx.policy.admins.has(f.user)) {
      if (f.invite === undefined)
        throw new ProtocolError('INVITE_REQUIRED', 'registration on this relay needs an invite code');
      if ((await this.ctx.accounts.registerWithInvite(record, f.invite, this.ctx.now())) !== 'ok') {
        throw new ProtocolError('INVITE_INVALID', 'the invite code is unknown, used or expired');
      }
      invited = true;
    }
    const registration = sameBundle ? { created: false, user: known } : await this.ctx.store.registerUser(record);
    const user = registration.user;
    const created = registration.created || invited;
    // The connection may have closed (or timed out) while the store answered: such a session claims nothing.
    if (this.state !== 'hello') return;
    if (!constantTimeEqual(user.identityPublicKey, f.idpk) || !constantTimeEqual(user.encryptionPublicKey, f.encpk)) {
      throw new ProtocolError('KEY_MISMATCH', `${f.user} is registered with another key`);
    }
    const sessions = this.ctx.online.get(f.user)?.size ?? 0;
    if (sessions >= this.ctx.limits.maxSessionsPerUser) {
      throw new ProtocolError(
        'TOO_MANY_SESSIONS',
        `${f.user} has ${sessions} sessions open, the most this relay allows; close one`,
      );
    }
    if (f.mode === 'recv') {
      if (this.ctx.receivers.has(f.user)) {
        throw new ProtocolError('ALREADY_RECEIVING', `another session is already receiving for ${f.user}`);
      }
      this.ctx.receivers.set(f.user, this);
      if (this.ctx.cluster && !(await this.claimLease(f.user))) return;
    }
    if (!created) {
      this.ctx.accounts.noteReturn(f.user, this.ctx.now()).catch((err: unknown) => {
        this.ctx.log({ event: 'store_error', conn: this.connId, error: (err as Error).message });
      });
    }
    clearTimeout(this.handshakeTimer);
    this.user = f.user;
    this.identityKey = user.identityPublicKey;
    this.mode = f.mode;
    this.state = 'authenticated';
    let mine = this.ctx.online.get(f.user);
    if (!mine) this.ctx.online.set(f.user, (mine = new Set()));
    mine.add(this);
    this.ctx.metrics.authSucceeded();
    this.armIdle();
    this.ctx.log({ event: 'auth', conn: this.connId, user: f.user, mode: f.mode, registered: created });
    this.write({ t: 'welcome', user: f.user, mode: f.mode, registered: created });
    if (this.version === PROTOCOL_VERSION_2) await this.joinPrekeyListeners(f.user);
    if (f.mode === 'recv') this.notify();
  }

  /** A version-2 session learns its prekey counts at login, and again whenever a fetch leaves them low (§23.5). */
  private async joinPrekeyListeners(user: string): Promise<void> {
    let mine = this.ctx.prekeyListeners.get(user);
    if (!mine) this.ctx.prekeyListeners.set(user, (mine = new Set()));
    mine.add(this);
    try {
      this.prekeyCount(await this.ctx.prekeys.counts(user));
    } catch (err) {
      this.ctx.log({ event: 'store_error', conn: this.connId, error: (err as Error).message });
    }
  }

  prekeyCount(counts: PrekeyCounts): void {
    if (this.state === 'authenticated') this.write({ t: 'prekey_count', ...counts });
  }

  /**
   * Across relays on one store the lease decides (docs/SCALING.md). A fenced relay, or a database error, is a
   * refusal the client retries (`SHUTTING_DOWN`, `INTERNAL`); a lease held elsewhere is `ALREADY_RECEIVING`. False if
   * the session closed meanwhile: it then claims nothing.
   */
  private async claimLease(user: string): Promise<boolean> {
    const cluster = this.ctx.cluster!;
    let held = false;
    try {
      if (cluster.fenced()) throw new ProtocolError('SHUTTING_DOWN', 'this relay lost its lease; reconnect');
      held = await cluster.claim(user, this.connId);
      if (!held) throw new ProtocolError('ALREADY_RECEIVING', `${user} is receiving on another relay`);
    } finally {
      if (!held || this.state !== 'hello') {
        if (held) cluster.release(user, this.connId);
        if (this.ctx.receivers.get(user) === this) this.ctx.receivers.delete(user);
      }
    }
    return this.state === 'hello';
  }

  private async onLookup(f: LookupFrame): Promise<void> {
    const user = isValidUsername(f.user) ? await this.ctx.store.getUser(f.user) : undefined;
    if (!user) {
      this.write(errFrame('UNKNOWN_USER', `no user ${JSON.stringify(f.user)} on this relay`, f.rid));
      return;
    }
    this.write({
      t: 'bundle',
      rid: f.rid,
      user: user.username,
      idpk: user.identityPublicKey,
      encpk: user.encryptionPublicKey,
      bsig: user.bundleSignature,
    });
  }

  /**
   * PROTOCOL.md §9 "Send": checks, durable store through the commit queue, then `sent`, then forward. An envelope that
   * fits is queued before this returns (arrival order is storage order); only a refusal or an ephemeral send, whose
   * answers need the store, return a promise.
   */
  private onSend(f: SendFrame): Promise<void> | undefined {
    if (f.eph === true) {
      return forwardEphemeral(this.ctx, f).then((reply) => {
        this.write(reply);
      });
    }
    if (!fitsWithoutLookup(this.ctx, f.to, f.env)) {
      return checkRecipient(this.ctx, f.to, f.env).then((refused) => {
        const code = refused ?? 'ENVELOPE_TOO_LARGE';
        this.write(errFrame(code, recipientRefusal(code, f.to, this.ctx.limits.maxEnvelopeBytes), f.rid));
      });
    }
    void this.storeSend(f);
    return undefined;
  }

  /** Queues `f`'s envelope at once (before the first await), then answers once its commit is done. */
  private async storeSend(f: SendFrame): Promise<void> {
    // Registration is checked again inside the commit (`unknown_recipient`): the account may be deleted meanwhile.
    const now = this.ctx.now();
    let result;
    try {
      result = await this.ctx.commits.put({
        recipient: f.to,
        ...this.ctx.shareTags(this.user!, mailboxAddressKey(this.socket.remoteAddress), f.to),
        id: f.id,
        envelope: f.env,
        receivedAt: now,
        expiresAt: now + this.ctx.limits.mailboxTtlMs,
      });
    } catch (err) {
      this.ctx.log({ event: 'store_error', conn: this.connId, error: (err as Error).message });
      this.write(errFrame('INTERNAL', 'the relay could not store the envelope; retry', f.rid));
      return;
    }
    switch (result) {
      case 'stored':
      case 'duplicate':
        if (result === 'stored') this.ctx.metrics.envelopes('in');
        this.write({ t: 'sent', rid: f.rid, id: f.id });
        if (result === 'stored') this.ctx.receivers.get(f.to)?.notify();
        return;
      case 'mailbox_full':
        this.write(errFrame('MAILBOX_FULL', `the mailbox of ${f.to} is full, or holds your share of it`, f.rid));
        return;
      case 'unknown_recipient':
        this.write(errFrame('UNKNOWN_USER', `no user ${JSON.stringify(f.to)} on this relay`, f.rid));
        return;
    }
  }

  /** §15.2: N envelopes, one transaction, one reply; then the recipients that got something new are woken. */
  private async onFanout(f: FanoutFrame): Promise<void> {
    let out;
    try {
      out = await storeFanout(this.ctx, this.user!, mailboxAddressKey(this.socket.remoteAddress), f);
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      this.ctx.log({ event: 'store_error', conn: this.connId, error: (err as Error).message });
      this.write(errFrame('INTERNAL', 'the relay could not store the envelopes; retry', f.rid));
      return;
    }
    this.ctx.metrics.envelopes('in', out.stored.length);
    this.write(out.reply);
    for (const to of new Set(out.stored)) this.ctx.receivers.get(to)?.notify();
  }

  private onAck(f: AckFrame): void {
    if (this.mode !== 'recv') throw new ProtocolError('PROTOCOL_STATE', "'ack' is only allowed in mode recv");
    this.ctx.commits.remove(this.user!, f.ids);
    // Metered, never refused (§11): a client acknowledging faster than `acksPerSecond` is simply read more slowly.
    const wait = this.ctx.rates.takeAcks(this.user!, f.ids.length, Date.now());
    if (wait > 0) this.throttle(wait, 'ack');
  }

  /** Stops reading this connection for `ms` (at most MAX_THROTTLE_MS at a time): back-pressure instead of an error. */
  private throttle(ms: number, reason: string): void {
    if (this.throttled) return;
    this.throttled = true;
    const pause = Math.min(ms, MAX_THROTTLE_MS);
    this.ctx.log({ event: 'throttled', conn: this.connId, user: this.user, reason, ms: pause });
    this.socket.pause();
    setTimeout(() => {
      this.throttled = false;
      if (!this.isClosing()) this.socket.resume();
    }, pause).unref();
  }

  /** Something was stored for this session's user: deliver everything past the cursor, in order (§9). */
  notify(): void {
    this.wanted = true;
    if (this.pumping || this.state !== 'authenticated') return;
    void this.pump().catch((err: unknown) => this.failWith(err));
  }

  forwardEphemeral(id: Uint8Array, env: Uint8Array, ts: number): boolean {
    if (this.state !== 'authenticated' || this.mode !== 'recv') return false;
    return this.write({ t: 'msg', id, env, ts, eph: true }) || !this.socket.destroyed;
  }

  /**
   * Pages through the mailbox from the cursor until a read finds nothing new. A `notify` that comes while a read is
   * on its way sets `wanted`, and the pump reads once more: an envelope committed just after a read began is never
   * left waiting for the next message.
   */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.wanted) {
        this.wanted = false;
        const page = await this.ctx.store.list(this.user!, this.cursor, DELIVERY_PAGE);
        if (this.state !== 'authenticated') return;
        // A relay whose lease ran out delivers nothing: another relay may be delivering the same page (SCALING.md).
        if (this.ctx.cluster?.fenced())
          throw new ProtocolError('SHUTTING_DOWN', 'this relay lost its lease; reconnect');
        if (page.length === 0) continue;
        this.wanted = true; // a full page may have more behind it
        let flowing = true;
        for (const e of page) {
          flowing = this.write({ t: 'msg', id: e.id, env: e.envelope, ts: e.receivedAt });
          this.ctx.metrics.envelopes('out');
          this.cursor = e.seq;
        }
        if (!flowing) await this.drained();
        if (this.state !== 'authenticated') return;
      }
      if (!this.synced) {
        this.synced = true;
        this.write({ t: 'synced' });
      }
    } finally {
      this.pumping = false;
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private write(frame: RelayFrame): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    if (frame.t === 'err') this.ctx.metrics.errSent(frame.code);
    const bytes = encodeFrame(frame);
    this.ctx.metrics.socketBytes('out', bytes.length);
    // Write coalescing: the frames of one turn of the event loop (a page of deliveries, the `sent`s of one group
    // commit) leave in one write, so one TLS record and one system call carry many frames.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(bytes);
  }

  private failWith(err: unknown): void {
    if (err instanceof ProtocolError) {
      this.fail(err.code, err.message);
      return;
    }
    this.ctx.log({ event: 'internal_error', conn: this.connId, error: (err as Error)?.message ?? String(err) });
    this.fail('INTERNAL', 'internal error');
  }

  /** Writes an `err` and, when the code is fatal (or the failure unexpected), closes the connection. */
  fail(code: ErrorCode, msg: string): void {
    if (this.state === 'closing') return;
    this.ctx.log({ event: 'refused', conn: this.connId, code, user: this.user });
    if (this.state === 'hello') {
      if (code !== 'SHUTTING_DOWN' && code !== 'HANDSHAKE_TIMEOUT') this.ctx.metrics.authFailed(code);
    }
    this.write({ ...errFrame(code, msg), fatal: true });
    this.close();
  }

  /** Stops reading, lets written frames flush, and forces the socket shut if the peer lingers. */
  close(): void {
    this.state = 'closing';
    this.leaveOnline();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** A closing session no longer counts as online (admins see it gone at once, a second kick finds nothing). */
  private leaveOnline(): void {
    const mine = this.user === undefined ? undefined : this.ctx.online.get(this.user);
    if (mine?.delete(this) && mine.size === 0) this.ctx.online.delete(this.user!);
    const listening = this.user === undefined ? undefined : this.ctx.prekeyListeners.get(this.user);
    if (listening?.delete(this) && listening.size === 0) this.ctx.prekeyListeners.delete(this.user!);
  }

  private onClose(): void {
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.idleTimer);
    this.state = 'closing';
    this.leaveOnline();
    if (this.user && this.ctx.receivers.get(this.user) === this) {
      this.ctx.receivers.delete(this.user);
      this.ctx.cluster?.release(this.user, this.connId);
    }
    this.ctx.log({ event: 'close', conn: this.connId, user: this.user });
  }
}
