/**
 * A deliberately thin protocol client for relay tests: real TCP, our real codec, no engine logic. It lets a test
 * send exactly the frames (or raw bytes) it wants and read back exactly what the relay wrote.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { pack } from 'msgpackr';
import { generateIdentity, sign, signBundle, type Identity } from '@chat/crypto';
import {
  FrameDecoder,
  authMessage,
  decodeRelayFrame,
  encodeFrame,
  type ChallengeFrame,
  type ClientFrame,
  type Mode,
  type RelayFrame,
} from '@chat/protocol';

export class RawClient {
  readonly frames: RelayFrame[] = [];
  private readonly decoder = new FrameDecoder();
  private waiters: (() => void)[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const body of this.decoder.push(chunk)) this.frames.push(decodeRelayFrame(body));
      this.wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /**
   * TLS 1.3 by default, like every relay the tests start (PROTOCOL.md §5.1); the certificate is not checked here
   * (the client's pinning has its own tests). `insecure`: plaintext TCP, for a relay started with `tls: false`.
   * `localAddress`: the source address (another loopback address such as 127.0.0.2 is a second "IP" to the relay).
   */
  static connect(
    port: number,
    host = '127.0.0.1',
    { insecure = false, localAddress }: { insecure?: boolean; localAddress?: string } = {},
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const from = localAddress === undefined ? {} : { localAddress };
      const socket = insecure
        ? connect({ port, host, ...from }, () => resolve(new RawClient(socket)))
        : tlsConnect({ port, host, ...from, minVersion: 'TLSv1.3', rejectUnauthorized: false }, () =>
            resolve(new RawClient(socket)),
          );
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  send(frame: ClientFrame): void {
    this.socket.write(encodeFrame(frame));
  }

  /** Sends any object as a frame, bypassing the codec's own checks (for frames a real client could not encode). */
  sendUnchecked(frame: Record<string, unknown>): void {
    const body = pack(frame);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(body.length);
    this.socket.write(Buffer.concat([prefix, body]));
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Removes and returns the first frame matching `pred`, waiting up to `ms` (30 s: a hang, not a slow machine). */
  async next<T extends RelayFrame = RelayFrame>(
    pred: (f: RelayFrame) => boolean = () => true,
    ms = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0] as T;
      if (this.closed)
        throw new Error(`connection closed; frames left: ${JSON.stringify(this.frames.map((f) => f.t))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(this.frames.map((f) => f.t))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  nextOfType<K extends RelayFrame['t']>(t: K, ms?: number): Promise<Extract<RelayFrame, { t: K }>> {
    return this.next((f) => f.t === t, ms) as Promise<Extract<RelayFrame, { t: K }>>;
  }

  /** `hello` with protocol version `v` (1, or 2 for the prekey frames of PROTOCOL.md §23). */
  async hello(v = 1): Promise<ChallengeFrame> {
    this.send({ t: 'hello', v, agent: 'raw-test' });
    return this.nextOfType('challenge');
  }

  /** Builds a correct `auth` frame for this connection's challenge. */
  authFrame(challenge: ChallengeFrame, user: string, identity: Identity, mode: Mode): ClientFrame {
    const bundle = signBundle(user, identity);
    return {
      t: 'auth',
      user,
      idpk: identity.identity.publicKey,
      encpk: identity.encryption.publicKey,
      bsig: bundle.signature,
      mode,
      sig: sign(authMessage(challenge.relay, challenge.nonce, user, mode), identity.identity.secretKey),
    };
  }

  /** hello + auth; resolves with the welcome or the err the relay answered. */
  async login(
    user: string,
    identity: Identity = generateIdentity(),
    mode: Mode = 'send',
    version = 1,
  ): Promise<RelayFrame> {
    const challenge = await this.hello(version);
    this.send(this.authFrame(challenge, user, identity, mode));
    return this.next((f) => f.t === 'welcome' || f.t === 'err');
  }

  /** Like `login`, but the auth frame skips the codec's checks, so it can carry a username the codec refuses. */
  async loginUnchecked(
    user: string,
    identity: Identity = generateIdentity(),
    mode: Mode = 'send',
  ): Promise<RelayFrame> {
    const challenge = await this.hello();
    this.sendUnchecked({ ...this.authFrame(challenge, user, identity, mode) });
    return this.next((f) => f.t === 'welcome' || f.t === 'err');
  }

  close(): void {
    this.socket.destroy();
  }
}
