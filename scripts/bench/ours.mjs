// Transport for our relay: the built `chat-relay` binary in its own process (TLS 1.3, SQLite in a temp dir), driven
// by a thin protocol client (our codec, real signatures; the envelopes are opaque 256-byte blobs to the relay).
import { connect as tlsConnect } from 'node:tls';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity, sign, signBundle } from '@chat/crypto';
import { FrameDecoder, authMessage, decodeRelayFrame, encodeFrame } from '@chat/protocol';
import { payloadPair, payloadSeq, spawnServer, tempDir } from './common.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const RELAY_BIN = join(ROOT, 'packages/relay/dist/bin/chat-relay.js');
const BIG = '1000000000';
// Lift the abuse limits (§11) that would otherwise throttle one benchmark user or one loopback address.
export const LIMIT_ENV = {
  CHAT_RELAY_MESSAGES_PER_SECOND: BIG,
  CHAT_RELAY_MESSAGES_BURST: BIG,
  CHAT_RELAY_BYTES_PER_SECOND: BIG,
  CHAT_RELAY_BYTES_BURST: BIG,
  CHAT_RELAY_CONNECTIONS_PER_IP_PER_SECOND: BIG,
  CHAT_RELAY_CONNECTIONS_PER_IP_BURST: BIG,
  CHAT_RELAY_MAILBOX_MAX_MESSAGES: BIG,
  CHAT_RELAY_MAILBOX_MAX_BYTES: BIG,
  CHAT_RELAY_MAX_CONNECTIONS: '100000',
};

/** Extra node options for the relay process, e.g. CHAT_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it. */
const nodeArgs = () => (process.env.CHAT_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** `env`: more CHAT_RELAY_* settings for this relay, on top of the lifted limits above. */
export async function startOurRelay(env = {}) {
  const tmp = tempDir('relay');
  const server = await spawnServer(
    process.execPath,
    [...nodeArgs(), RELAY_BIN, '--host', '127.0.0.1', '--port', '0', '--data', join(tmp.dir, 'data')],
    /chat-relay address chat:\/\/([A-Za-z0-9_-]{43})@127\.0\.0\.1:(\d+)\n/,
    { ...LIMIT_ENV, ...env },
  );
  const port = Number(server.match[2]);
  return {
    port,
    fingerprint: server.match[1],
    address: `chat://${server.match[1]}@127.0.0.1:${port}`,
    pid: server.proc.pid,
    stop: async () => {
      await server.stop();
      tmp.cleanup();
    },
  };
}

const FLOOR_BIN = join(ROOT, 'scripts/bench/floor-server.mjs');

/** The floor forwarder (floor-server.mjs) in its own process: same TLS, codec and client, no storage or checks. */
export async function startFloorRelay() {
  const tmp = tempDir('floor');
  const server = await spawnServer(process.execPath, [...nodeArgs(), FLOOR_BIN, tmp.dir], /floor address (\d+)\n/);
  return {
    port: Number(server.match[1]),
    pid: server.proc.pid,
    stop: async () => {
      await server.stop();
      tmp.cleanup();
    },
  };
}

/**
 * One authenticated connection. Frames that arrive with or right after `welcome` (the relay writes a turn's frames
 * in one write, so `welcome` and `synced` often share a read) go to the handlers given to `login`, never dropped.
 */
export class Conn {
  constructor(socket) {
    this.socket = socket;
    this.decoder = new FrameDecoder();
    this.pending = new Map();
    this.rid = 0;
    this.ready = false;
    this.early = [];
    this.waiter = undefined;
    socket.on('data', (chunk) => {
      for (const body of this.decoder.push(chunk)) {
        const f = decodeRelayFrame(body);
        if (this.ready) this.dispatch(f);
        else if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w(f);
        } else this.early.push(f);
      }
    });
    socket.on('error', () => {});
  }
  /** The next frame during the handshake, whether it has already been read or not. */
  next() {
    return this.early.length > 0
      ? Promise.resolve(this.early.shift())
      : new Promise((res) => {
          this.waiter = res;
        });
  }
  /** Logs in; `handlers` ({ onMsg, onOther }) are in place before any frame after `welcome` is dispatched. */
  static async login(port, user, identity, mode, handlers = {}) {
    const socket = await new Promise((res, rej) => {
      const s = tlsConnect({ port, host: '127.0.0.1', minVersion: 'TLSv1.3', rejectUnauthorized: false }, () => res(s));
      s.once('error', rej);
    });
    socket.setNoDelay(true);
    const c = new Conn(socket);
    c.write({ t: 'hello', v: 1, agent: 'bench' });
    const ch = await c.next();
    if (ch.t !== 'challenge') throw new Error(`expected challenge, got ${ch.t}`);
    const bundle = signBundle(user, identity);
    c.write({
      t: 'auth',
      user,
      idpk: identity.identity.publicKey,
      encpk: identity.encryption.publicKey,
      bsig: bundle.signature,
      mode,
      sig: sign(authMessage(ch.relay, ch.nonce, user, mode), identity.identity.secretKey),
    });
    const w = await c.next();
    if (w.t !== 'welcome') throw new Error(`login ${user}: ${w.t} ${w.code ?? ''}`);
    Object.assign(c, handlers);
    c.ready = true;
    for (const f of c.early.splice(0)) c.dispatch(f);
    return c;
  }
  write(frame) {
    this.socket.write(encodeFrame(frame));
  }
  dispatch(f) {
    if (f.t === 'sent' || f.t === 'err') {
      const p = this.pending.get(f.rid);
      this.pending.delete(f.rid);
      if (p) f.t === 'sent' ? p.resolve() : p.reject(new Error(f.code));
    } else if (f.t === 'msg') this.onMsg?.(f);
    // As the real client does (engine/connection.ts): a keepalive is answered with a ping, so an idle but live
    // connection is not closed with IDLE_TIMEOUT (it matters when establishing 10,000 takes longer than the timeout).
    else if (f.t === 'keepalive') this.write({ t: 'ping', rid: (this.rid = (this.rid + 1) >>> 0) });
    else this.onOther?.(f);
  }
  send(to, id, env) {
    const rid = (this.rid = (this.rid + 1) >>> 0);
    return new Promise((resolve, reject) => {
      this.pending.set(rid, { resolve, reject });
      this.write({ t: 'send', rid, to, id, env });
    });
  }
  close() {
    this.socket.destroy();
  }
}

/** N sender/recipient pairs through our relay (or the floor forwarder, with `start = startFloorRelay`). send(pair, seq, payload) resolves on `sent`; onReceive(pair, seq) per `msg`, acked in batches. */
export async function ours(n, start = startOurRelay, name = 'ours (chat-relay)') {
  const relay = await start();
  const tag = Math.random().toString(36).slice(2, 7);
  const receivers = [];
  const senders = [];
  let onReceive = () => {};
  for (let i = 0; i < n; i++) {
    let acks = [];
    const r = await Conn.login(relay.port, `rcv${tag}${i}`, generateIdentity(), 'recv', {
      onMsg: (f) => {
        onReceive(payloadPair(f.env), payloadSeq(f.env));
        acks.push(f.id);
        if (acks.length === 1)
          setImmediate(() => {
            for (let k = 0; k < acks.length; k += 256) r.write({ t: 'ack', ids: acks.slice(k, k + 256) });
            acks = [];
          });
      },
    });
    receivers.push(r);
    senders.push(await Conn.login(relay.port, `snd${tag}${i}`, generateIdentity(), 'send'));
  }
  return {
    name,
    set onReceive(fn) {
      onReceive = fn;
    },
    send(pair, seq, env) {
      const id = Buffer.alloc(16);
      id.writeUInt32BE(pair, 0);
      id.writeUInt32BE(seq, 4);
      id.writeUInt32BE(Math.random() * 2 ** 32, 8);
      return senders[pair].send(`rcv${tag}${pair}`, id, env);
    },
    relay,
    async close() {
      for (const c of [...senders, ...receivers]) c.close();
      await relay.stop();
    },
  };
}
