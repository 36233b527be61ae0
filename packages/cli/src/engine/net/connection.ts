/**
 * The client side of one relay connection (PROTOCOL.md §5–§9) over node:net: connect, `hello`, check the
 * `challenge` (version, pinned relay id), `auth`, then requests matched to replies by `rid`, each with a timeout.
 *
 * Transport (§5.1): TLS 1.3, and before a single frame is written the certificate's key fingerprint must equal the
 * expected one (from a `chat://` address or pinned earlier); without one, the caller pins what it sees (TOFU).
 * Plaintext TCP only when `insecure`.
 *
 * States (§7, client view): connecting → hello → authenticating → authenticated → closed.
 * `msg` and `synced` frames are queued until `resume()`, so none is lost between `welcome` and the caller attaching
 * its listeners.
 */
import { EventEmitter } from 'node:events';
import { isIP, connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import {
  constantTimeEqual,
  isValidUsername,
  relayCertFingerprint,
  sign,
  signBundle,
  toHex,
  utf8,
  type Identity,
} from '@chat/crypto';
import {
  FrameDecoder,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_2,
  type PrekeyBundleFrame,
  type PrekeyCountFrame,
  type PrekeyTypeByte,
  authMessage,
  decodeRelayFrame,
  encodeFrame,
  type AdminDoneFrame,
  type AdminFrame,
  type AdminStatsFrame,
  type AdminUsersFrame,
  type BundleFrame,
  type ClientFrame,
  type FanoutSentFrame,
  type Mode,
  type MsgFrame,
  type RelayFrame,
  type RoomMembersFrame,
  type RoomOp,
} from '@chat/protocol';
import { formatPinnedAddress, formatRelayAddress, type RelayAddress } from '../address.js';
import { ChatError, fromRelayError } from '../errors.js';
import { Waiters, type RequestReply } from './waiters.js';
import { BlobStreams } from './blob-streams.js';

/** A pinned relay that fails TLS: someone else may be answering at its address; never suggest plaintext (§5.1). */
const PINNED_HINT =
  "this relay's TLS certificate is pinned, so it spoke TLS before: something else may be answering at that address; ask the relay's operator before connecting without TLS";
export type AdminReplyFrame = AdminUsersFrame | AdminStatsFrame | AdminDoneFrame;

export const CONNECT_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 15_000;
const CLOSE_GRACE_MS = 1_000;
const MAX_RID = 0xffff_ffff;

export interface ConnectOptions {
  address: RelayAddress;
  username: string;
  /**
   * May still be unlocking (scrypt, §13.1): TLS, the certificate check, `hello` and the relay-id check go ahead
   * meanwhile, and `auth` is signed and sent once it resolves. A rejection fails the handshake with that error.
   */
  identity: Identity | Promise<Identity>;
  mode: Mode;
  /** The relay id pinned at login (§8); a different one fails with RELAY_CHANGED before we sign anything. */
  expectedRelayId?: Uint8Array | undefined;
  /**
   * The relay certificate fingerprint to insist on (§5.1); defaults to `address.fingerprint`. A different certificate
   * fails with RELAY_CERT_MISMATCH before anything is written. Undefined: accept any (the caller pins it).
   */
  expectedCertFingerprint?: string | undefined;
  /** Plaintext TCP instead of TLS (`--insecure`, §5.1). */
  insecure?: boolean | undefined;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  agent?: string;
  /** A one-time invite code for registering on an invite-only relay (§8, §14). */
  invite?: string | undefined;
  /** Say `hello` 1 (§23.1): set when the relay refused version 2 on this attempt. */
  v1Only?: boolean;
}

export type ConnectionState = 'connecting' | 'hello' | 'authenticating' | 'authenticated' | 'closed';

/** The owner's prekeys on the relay (§23.5 `prekey_count`). */
export type PrekeyCounts = Omit<PrekeyCountFrame, 't' | 'rid'>;

/** One prekey to publish (§23.3): its type byte, id, public key and signature (§18.2). */
export interface PrekeyEntry {
  type: number;
  keyId: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export interface ConnectionEvents {
  msg: [frame: MsgFrame];
  /** An unsolicited `prekey_count` (§23.5): after `welcome`, or when a fetch left our one-time keys low. */
  prekeyCount: [counts: PrekeyCounts];
  synced: [];
  /** The connection ended; `error` is undefined when we closed it ourselves. */
  close: [error: ChatError | undefined];
}

/** The relay does not speak v2 (§23.1); the connection is opened again with `hello` 1. */
class V1RelayError extends Error {}

export class Connection extends EventEmitter<ConnectionEvents> {
  state: ConnectionState = 'connecting';
  relayId: Uint8Array = new Uint8Array(0);
  /** True if this login created the account (§6.2 `welcome`). */
  registered = false;
  maxEnvelope = 0;
  /** The protocol version this connection speaks (§23.1). */
  version = PROTOCOL_VERSION;
  /** The last unsolicited `prekey_count` (§23.5); the relay writes one right after `welcome`. */
  lastPrekeyCounts: PrekeyCounts | undefined;
  /** The relay certificate's §5.1 fingerprint once TLS is up; undefined for an insecure connection. */
  certFingerprint: string | undefined;
  readonly address: string;

  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder();
  private readonly waiters: Waiters;
  private readonly blobStreams: BlobStreams;
  private readonly queued: (MsgFrame | null)[] = [];
  private paused = true;
  private nextRid = 1;
  private failure: ChatError | undefined;
  private readonly closed: Promise<void>;
  private tcpConnected = false;

  private constructor(private readonly opts: ConnectOptions) {
    super();
    this.address = formatRelayAddress(opts.address);
    this.waiters = new Waiters(opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, (err) => this.fail(err));
    this.blobStreams = new BlobStreams(opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
    const { host, port } = opts.address;
    this.socket = opts.insecure
      ? connect({ host, port })
      : tlsConnect({
          host,
          port,
          minVersion: 'TLSv1.3',
          // Not a CA check: the certificate is pinned by its key fingerprint (§5.1), checked in handshake().
          rejectUnauthorized: false,
          // So no CA store either: Node's default one (~140 root certificates, parsed on first use) cost a one-shot
          // command more CPU than the whole rest of the TLS handshake, for a result nothing reads.
          ca: [],
          ...(isIP(host) === 0 ? { servername: host } : {}),
        });
    this.socket.once('connect', () => (this.tcpConnected = true));
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onSocketError(err));
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.onClose();
        resolve();
      }),
    );
  }

  /**
   * Connects and authenticates (§8).
   * @throws {ChatError} RELAY_UNREACHABLE, CONNECTION_LOST, TIMEOUT (exit 5); RELAY_CHANGED or a relay refusal such as
   *   KEY_MISMATCH / ALREADY_RECEIVING (exit 6); RELAY_PROTOCOL if the relay breaks the protocol.
   */
  static async open(opts: ConnectOptions): Promise<Connection> {
    // A pending identity may fail before the handshake awaits it; the handshake reports that failure.
    if (opts.identity instanceof Promise) opts.identity.catch(() => {});
    const conn = new Connection(opts);
    try {
      await conn.handshake();
      return conn;
    } catch (err) {
      conn.destroy();
      // §23.1: a v1 relay refuses `hello` 2 (UNSUPPORTED_VERSION) or answers another version: say 1 on a new
      // connection. Remembered only by this connection: the next one tries 2 again.
      const v1Relay = err instanceof V1RelayError || (err instanceof ChatError && err.code === 'UNSUPPORTED_VERSION');
      if (v1Relay && !opts.v1Only) return Connection.open({ ...opts, v1Only: true });
      throw err;
    }
  }

  private async handshake(): Promise<void> {
    const { address, username, mode } = this.opts;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new ChatError('RELAY_UNREACHABLE', `timed out connecting to the relay at ${this.address}`, {
            hint: unreachableHint,
          }),
        );
      }, this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
      this.socket.once(this.opts.insecure ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.waiters.onFailure((err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    if (!this.opts.insecure) this.checkCertificate();
    this.socket.setKeepAlive(true, 30_000);
    this.state = 'hello';
    const challengeReply = this.waiters.expect('challenge', username);
    const wanted = this.opts.v1Only ? PROTOCOL_VERSION : PROTOCOL_VERSION_2;
    this.write({ t: 'hello', v: wanted, agent: this.opts.agent ?? 'chat-cli' });
    const challenge = await challengeReply;
    if (challenge.t !== 'challenge') throw this.protocolError('expected challenge');
    if (challenge.v !== wanted)
      throw new V1RelayError(`the relay answered hello ${wanted} with version ${challenge.v}`);
    this.version = wanted;
    const expected = this.opts.expectedRelayId;
    if (expected && !(expected.length === challenge.relay.length && constantTimeEqual(expected, challenge.relay))) {
      throw new ChatError(
        'RELAY_CHANGED',
        `the relay at ${formatRelayAddress(address)} is not the relay you logged in to (its id changed)`,
        {
          hint: `if that is expected (a new or wiped relay), run chat login ${username} --relay ${address.fingerprint ? formatPinnedAddress(address, address.fingerprint) : formatRelayAddress(address)} again to re-join deliberately`,
        },
      );
    }
    this.relayId = challenge.relay;
    this.maxEnvelope = challenge.maxEnvelope;
    const identity = await this.opts.identity;
    this.state = 'authenticating';
    const bundle = signBundle(username, identity);
    const sig = sign(authMessage(challenge.relay, challenge.nonce, username, mode), identity.identity.secretKey);
    const welcomeReply = this.waiters.expect('welcome', username);
    this.write({
      t: 'auth',
      user: username,
      idpk: bundle.identityPublicKey,
      encpk: bundle.encryptionPublicKey,
      bsig: bundle.signature,
      mode,
      sig,
      ...(this.opts.invite ? { invite: this.opts.invite } : {}),
    });
    const welcome = await welcomeReply;
    if (welcome.t !== 'welcome' || welcome.user !== username || welcome.mode !== mode)
      throw this.protocolError('unexpected welcome');
    this.registered = welcome.registered;
    this.state = 'authenticated';
  }

  /** §5.1: compares the certificate's key fingerprint with the expected one before anything is written. */
  private checkCertificate(): void {
    const cert = (this.socket as TLSSocket).getPeerX509Certificate();
    if (!cert) throw new ChatError('TLS_FAILED', `the relay at ${this.address} presented no TLS certificate`);
    this.certFingerprint = relayCertFingerprint(cert.publicKey.export({ type: 'spki', format: 'der' }));
    const expected = this.opts.expectedCertFingerprint ?? this.opts.address.fingerprint;
    if (expected !== undefined && !constantTimeEqual(utf8(expected), utf8(this.certFingerprint))) {
      throw new ChatError(
        'RELAY_CERT_MISMATCH',
        `the relay at ${this.address} presented a TLS certificate that does not match the pinned one (expected ${expected}, got ${this.certFingerprint}); refusing to connect`,
        {
          hint: "someone may be intercepting the connection; if the operator really replaced the relay's key, get its new chat:// address from them and run chat login <name> --relay chat://<fingerprint>@host:port",
          presentedCert: this.certFingerprint,
        },
      );
    }
  }

  /** Hex of the relay id from the challenge. */
  get relayIdHex(): string {
    return toHex(this.relayId);
  }

  /** Starts emitting `msg` / `synced`, first the ones that arrived before. */
  resume(): void {
    this.paused = false;
    while (!this.paused && this.queued.length > 0) this.deliver(this.queued.shift() ?? null);
  }

  /** The connection speaks protocol version 2 (§23.1): prekey frames, v2 envelopes. */
  get speaksV2(): boolean {
    return this.version === PROTOCOL_VERSION_2;
  }

  /** Fetches `user`'s prekey bundle (§23.4); null if it has published none (`NO_PREKEYS`). @throws {ChatError} */
  async prekeyGet(user: string): Promise<PrekeyBundleFrame | null> {
    const rid = this.rid();
    try {
      const frame = await this.roundTrip({ t: 'prekey_get', rid, user }, rid, 'prekey_bundle', user);
      if (frame.t !== 'prekey_bundle') throw this.protocolError('expected prekey_bundle');
      return frame;
    } catch (err) {
      if (err instanceof ChatError && err.code === 'NO_PREKEYS') return null;
      throw err;
    }
  }

  /** Publishes prekeys (§23.3); `reset` first drops every one-time key the relay holds for us. @throws {ChatError} */
  async prekeyPut(entries: readonly PrekeyEntry[], reset = false): Promise<PrekeyCounts> {
    const rid = this.rid();
    const frame = await this.roundTrip(
      {
        t: 'prekey_put',
        rid,
        types: entries.map((e) => e.type as PrekeyTypeByte),
        ids: entries.map((e) => e.keyId),
        keys: entries.map((e) => e.publicKey),
        sigs: entries.map((e) => e.signature),
        ...(reset ? { reset: true } : {}),
      },
      rid,
      'prekey_count',
      this.opts.username,
    );
    if (frame.t !== 'prekey_count') throw this.protocolError('expected prekey_count');
    const { t: _t, rid: _rid, ...counts } = frame;
    return counts;
  }

  /** Looks up a key bundle (§6.1 `lookup`). The caller MUST verify it (§3.2). @throws {ChatError} UNKNOWN_USER, … */
  async lookup(user: string): Promise<BundleFrame> {
    const rid = this.rid();
    const frame = await this.roundTrip({ t: 'lookup', rid, user }, rid, 'bundle', user);
    if (frame.t !== 'bundle') throw this.protocolError('expected bundle');
    return frame;
  }

  /**
   * Stores an envelope (§9); resolves once the relay answered `sent`, i.e. stored it durably. With `eph`, the relay
   * only forwards it to an online receiver (§9 "Ephemeral"); NOT_ONLINE if there is none.
   */
  async send(to: string, id: Uint8Array, env: Uint8Array, { eph = false } = {}): Promise<void> {
    const rid = this.rid();
    const request: ClientFrame = eph ? { t: 'send', rid, to, id, env, eph: true } : { t: 'send', rid, to, id, env };
    const frame = await this.roundTrip(request, rid, 'sent', to);
    if (frame.t !== 'sent' || !constantTimeEqual(frame.id, id))
      throw this.protocolError('sent names another message id');
  }

  /** Round trip: the relay handles a connection's frames in order, so a `pong` means every earlier `ack` was handled. */
  async ping(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const rid = this.rid();
      try {
        await this.roundTrip({ t: 'ping', rid }, rid, 'pong', this.opts.username);
        return;
      } catch (err) {
        // §11: a ping refused for the user's request rate was not carried out, and asking again is always safe: wait
        // as long as the relay said (doubling each time, at most 5 s a wait), at most 5 tries, while the connection
        // lives (a closed one fails the next round trip at once).
        if (!(err instanceof ChatError) || err.retryAfterMs === undefined || attempt >= 4) throw err;
        const wait = Math.min(5_000, Math.max(50, err.retryAfterMs * 2 ** attempt));
        await Promise.race([new Promise((resolve) => setTimeout(resolve, wait).unref()), this.closed]);
      }
    }
  }

  /** The users with a `recv` session now (§6.1 `who`), valid usernames only. */
  async who(): Promise<string[]> {
    const rid = this.rid();
    const frame = await this.roundTrip({ t: 'who', rid }, rid, 'online', this.opts.username);
    if (frame.t !== 'online') throw this.protocolError('expected online');
    // §6.2: entries that are not valid usernames are ignored (the frame only bounds their length).
    return frame.users.filter((u) => isValidUsername(u));
  }

  /** An admin request (§14); resolves with the relay's `admin_*` answer. @throws {ChatError} FORBIDDEN, UNKNOWN_USER, … */
  async admin(req: Omit<AdminFrame, 't' | 'rid'>): Promise<AdminReplyFrame> {
    const rid = this.rid();
    const type = req.op === 'users' ? 'admin_users' : req.op === 'stats' ? 'admin_stats' : 'admin_done';
    return (await this.roundTrip(
      { t: 'admin', rid, ...req },
      rid,
      type,
      req.user ?? this.opts.username,
    )) as AdminReplyFrame;
  }

  /**
   * One request (§6.1): `frame(rid)` under a fresh rid, resolved by the reply of `type` to it or rejected by its `err`
   * (naming `about`). Request modules outside the connection (blobs.ts) build on this.
   */
  request(frame: (rid: number) => ClientFrame, type: RequestReply, about = this.opts.username): Promise<RelayFrame> {
    const rid = this.rid();
    return this.roundTrip(frame(rid), rid, type, about);
  }

  /** A request answered by `blob_data` frames (§16.4) for chunks `from` … `last`, each handed to `onChunk` in order. */
  stream(
    frame: (rid: number) => ClientFrame,
    from: number,
    last: number,
    onChunk: (n: number, data: Uint8Array) => void,
  ): Promise<void> {
    const rid = this.rid();
    const done = this.blobStreams.open(rid, from, last, onChunk);
    done.catch(() => {});
    try {
      this.write(frame(rid));
    } catch (err) {
      this.blobStreams.reject(
        rid,
        err instanceof ChatError ? err : new ChatError('UNEXPECTED', String(err), { cause: err }),
      );
    }
    return done;
  }

  /** Acknowledges delivered envelopes (§9), at most 256 ids per frame (§11). No reply. */
  /**
   * One `fanout` (§15.2): entry i of each array is one stored `send`. Resolves with `codes[i]` (`""` = stored).
   * Several calls may be in flight at once (pipelined); the caller keeps each frame under MAX_FRAME_BYTES.
   */
  async fanout(to: string[], ids: Uint8Array[], envs: Uint8Array[]): Promise<string[]> {
    const rid = this.rid();
    const frame = await this.roundTrip(
      { t: 'fanout', rid, to, ids, envs },
      rid,
      'fanout_sent',
      to[0] ?? this.opts.username,
    );
    const codes = (frame as FanoutSentFrame).codes;
    if (codes.length !== to.length)
      throw this.protocolError(`fanout_sent has ${codes.length} codes for ${to.length} envelopes`);
    return codes;
  }

  /** A `room` request (§15.6): the room list for `list`, else the room's members after the operation. */
  async room(op: RoomOp, room?: string): Promise<string[]> {
    const rid = this.rid();
    const type = op === 'list' ? 'rooms' : 'room_members';
    const req: ClientFrame = room === undefined ? { t: 'room', rid, op } : { t: 'room', rid, op, room };
    const frame = await this.roundTrip(req, rid, type, room ?? this.opts.username);
    return frame.t === 'rooms' ? frame.names : (frame as RoomMembersFrame).users;
  }

  ack(ids: readonly Uint8Array[]): void {
    for (let i = 0; i < ids.length; i += 256) this.write({ t: 'ack', ids: ids.slice(i, i + 256) });
  }

  /** Ends the connection gracefully (our FIN after everything written), destroying it if the relay does not follow. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
  }

  /** Waits until the connection has ended, for whatever reason. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  private destroy(): void {
    this.state = 'closed';
    this.socket.destroy();
  }

  private rid(): number {
    const rid = this.nextRid;
    this.nextRid = rid >= MAX_RID ? 1 : rid + 1;
    return rid;
  }

  /** Registers the waiter first, then writes: the reply can never arrive before someone waits for it. */
  private roundTrip(frame: ClientFrame, rid: number, type: RequestReply, about: string): Promise<RelayFrame> {
    const reply = this.waiters.request(rid, type, about);
    try {
      this.write(frame);
    } catch (err) {
      this.waiters.rejectRequest(
        rid,
        err instanceof ChatError ? err : new ChatError('UNEXPECTED', String(err), { cause: err }),
      );
    }
    return reply;
  }

  private write(frame: ClientFrame): void {
    if (this.failure) throw this.failure;
    if (this.socket.destroyed)
      throw new ChatError('CONNECTION_LOST', `the connection to the relay at ${this.address} is closed`);
    this.socket.write(encodeFrame(frame));
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let frames: RelayFrame[];
    try {
      frames = this.decoder.push(chunk).map((body) => decodeRelayFrame(body));
    } catch (err) {
      this.fail(this.protocolError(`invalid frame (${(err as { code?: string }).code ?? 'BAD_FRAME'})`));
      return;
    }
    for (const frame of frames) {
      if (this.failure) return;
      this.onFrame(frame);
    }
  }

  /** One branch per relay frame type (§6.2). */
  private onFrame(frame: RelayFrame): void {
    switch (frame.t) {
      case 'challenge':
      case 'welcome':
        // Authenticated as soon as `welcome` is read: `msg` frames may follow in the same chunk (§9 login drain).
        if (frame.t === 'welcome' && this.state === 'authenticating') this.state = 'authenticated';
        if (!this.waiters.settleHandshake(frame)) this.fail(this.protocolError(`unexpected ${frame.t}`));
        return;
      case 'keepalive':
        // The relay heard nothing for a while (§7): any frame resets its idle timer.
        this.ping().catch(() => {});
        return;
      case 'admin_users':
      case 'admin_stats':
      case 'admin_done':
      case 'bundle':
      case 'sent':
      case 'pong':
      case 'online':
      case 'fanout_sent':
      case 'rooms':
      case 'room_members':
      case 'blob_ok':
      case 'prekey_bundle':
        if (!this.waiters.settle(frame.rid, frame))
          this.fail(this.protocolError(`unexpected ${frame.t} for rid ${frame.rid}`));
        return;
      case 'prekey_count': {
        if (frame.rid !== undefined) {
          if (!this.waiters.settle(frame.rid, frame))
            this.fail(this.protocolError(`unexpected ${frame.t} for rid ${frame.rid}`));
          return;
        }
        const { t: _t, ...counts } = frame;
        this.lastPrekeyCounts = counts;
        this.emit('prekeyCount', counts);
        return;
      }
      case 'msg':
      case 'synced':
        if (this.state !== 'authenticated' || this.opts.mode !== 'recv') {
          this.fail(this.protocolError(`unexpected ${frame.t}`));
          return;
        }
        if (this.paused) this.queued.push(frame.t === 'msg' ? frame : null);
        else this.deliver(frame.t === 'msg' ? frame : null);
        return;
      case 'blob_data':
        if (!this.blobStreams.data(frame))
          this.fail(this.protocolError(`unexpected blob_data ${frame.n} for rid ${frame.rid}`));
        return;
      case 'err': {
        const about =
          frame.rid === undefined ? this.opts.username : (this.waiters.aboutOf(frame.rid) ?? this.opts.username);
        const err = fromRelayError(frame.code, frame.msg, about);
        if (frame.fatal || frame.rid === undefined) this.fail(err);
        else if (!this.waiters.rejectRequest(frame.rid, err) && !this.blobStreams.reject(frame.rid, err))
          this.fail(this.protocolError(`err for unknown rid ${frame.rid}`));
        return;
      }
    }
  }

  /** `null` stands for `synced`. */
  private deliver(frame: MsgFrame | null): void {
    if (frame) this.emit('msg', frame);
    else this.emit('synced');
  }

  /** Whether a certificate is pinned for this relay: it spoke TLS before, so plaintext is never the advice (§5.1). */
  private pinned(): boolean {
    return (this.opts.expectedCertFingerprint ?? this.opts.address.fingerprint) !== undefined;
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    if (this.failure) return;
    // Only a TLS-level error means the peer does not speak TLS; a reset or a close during the handshake is a
    // connection that went away (a relay restarting, a proxy whose upstream is down): unreachable, worth a retry.
    const tlsLevel =
      typeof err.code === 'string' &&
      (err.code.startsWith('ERR_SSL') || err.code.startsWith('ERR_TLS') || err.code === 'EPROTO');
    if (this.state === 'connecting' && this.tcpConnected && !this.opts.insecure && tlsLevel) {
      this.fail(
        new ChatError(
          'TLS_FAILED',
          `the relay at ${this.address} did not complete a TLS 1.3 handshake (${err.code ?? err.message})`,
          {
            hint: this.pinned()
              ? PINNED_HINT
              : 'if that relay runs with --insecure, log in with chat login <name> --relay host:port --insecure; otherwise check the address',
            cause: err,
          },
        ),
      );
    } else if (this.state === 'connecting') {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused' : (err.code ?? err.message);
      this.fail(
        new ChatError('RELAY_UNREACHABLE', `cannot reach the relay at ${this.address}: ${why}`, {
          hint: unreachableHint,
          cause: err,
        }),
      );
    } else {
      this.fail(
        new ChatError(
          'CONNECTION_LOST',
          `lost the connection to the relay at ${this.address}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    }
  }

  private onClose(): void {
    const wasOpen = this.state !== 'closed';
    const inTlsHandshake = this.state === 'connecting' && this.tcpConnected && !this.opts.insecure;
    this.state = 'closed';
    if (wasOpen && !this.failure && inTlsHandshake) {
      this.fail(
        new ChatError(
          'RELAY_UNREACHABLE',
          `the relay at ${this.address} closed the connection during the TLS handshake`,
          {
            hint: this.pinned()
              ? PINNED_HINT
              : 'if this persists and that relay runs with --insecure, log in with chat login <name> --relay host:port --insecure',
          },
        ),
      );
    }
    if (wasOpen && !this.failure) {
      this.fail(new ChatError('CONNECTION_LOST', `the relay at ${this.address} closed the connection`));
    }
    this.waiters.failAll(this.failure ?? new ChatError('CONNECTION_LOST', 'connection closed'));
    this.blobStreams.failAll(this.failure ?? new ChatError('CONNECTION_LOST', 'connection closed'));
    this.emit('close', wasOpen ? this.failure : undefined);
  }

  /** Records the first failure, rejects everything waiting, and drops the socket. */
  private fail(err: ChatError): void {
    if (this.failure) return;
    this.failure = err;
    this.waiters.failAll(err);
    this.blobStreams.failAll(err);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private protocolError(what: string): ChatError {
    return new ChatError('RELAY_PROTOCOL', `the relay at ${this.address} broke the protocol: ${what}`);
  }
}

const unreachableHint =
  'is chat-relay running there? set the address with chat login <name> --relay host:port, or CHAT_RELAY=host:port';
