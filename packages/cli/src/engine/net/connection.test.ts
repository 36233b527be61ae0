/**
 * The connection against scripted peers (for failures a real relay does not produce on demand) and against the real
 * relay binary (handshake, relay id pinning, refusals).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { Server } from 'node:net';
import { generateIdentity, randomMessageId, type Identity } from '@chat/crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  handshake,
  scriptedRelay,
  relayInProcess,
  tempDir,
  until,
  type InProcessRelay,
  failure,
} from '../../../test/helpers.js';
import { Connection, type ConnectOptions } from './connection.js';

const alice: Identity = generateIdentity();

const hasPython = spawnSync('python3', ['--version']).status === 0;
const BLACKHOLE = `
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
cs = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', port)); cs.append(c)
time.sleep(0.2)
print(port, flush=True)
time.sleep(30)
`;

function opts(port: number, over: Partial<ConnectOptions> = {}): ConnectOptions {
  return { address: { host: '127.0.0.1', port }, username: 'alice', identity: alice, mode: 'send', ...over };
}

describe('Connection failures', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('connection refused: RELAY_UNREACHABLE (exit 5) at once', async () => {
    const { server, port } = await scriptedRelay(() => {});
    await new Promise((r) => server.close(r));
    const e = await failure(Connection.open(opts(port)));
    expect(e.code).toBe('RELAY_UNREACHABLE');
    expect(e.exitCode).toBe(5);
    expect(e.message).toContain('connection refused');
  });

  // A listener whose accept queue is full drops SYNs, so connect() hangs: the only local way to get a connect
  // timeout (Node accepts every connection itself). Needs python3.
  it.skipIf(!hasPython)(
    'a peer that never completes the TCP handshake: RELAY_UNREACHABLE after the connect timeout',
    async () => {
      const hole = spawn('python3', ['-c', BLACKHOLE], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const port = Number(await new Promise<string>((r) => hole.stdout.once('data', (d: Buffer) => r(d.toString()))));
        const start = Date.now();
        const e = await failure(Connection.open({ ...opts(port), connectTimeoutMs: 300 }));
        expect(e.code).toBe('RELAY_UNREACHABLE');
        expect(e.message).toContain('timed out');
        expect(Date.now() - start).toBeGreaterThanOrEqual(250); // not before the timeout; a busy machine only adds
      } finally {
        hole.kill();
      }
    },
  );

  it('a peer that never answers hello: TIMEOUT (exit 5)', async () => {
    const { server, port } = await scriptedRelay(() => {});
    servers.push(server);
    const e = await failure(Connection.open(opts(port, { requestTimeoutMs: 200 })));
    expect(e.code).toBe('TIMEOUT');
    expect(e.exitCode).toBe(5);
  });

  it('a v1 relay (it answers hello 2 in version 1): opened again with hello 1, and speaks v1', async () => {
    const hellos: number[] = [];
    const { server, port } = await scriptedRelay((frame, _socket, reply) => {
      if (frame.t !== 'hello') return void handshake(frame, reply);
      hellos.push(frame.v);
      handshake({ ...frame, v: 1 }, reply); // what a relay from before v2 answers
    });
    servers.push(server);
    const conn = await Connection.open(opts(port));
    expect(hellos).toEqual([2, 1]);
    expect(conn.speaksV2).toBe(false);
    await conn.close();
  });

  it('a relay that drops the connection mid-request: CONNECTION_LOST (exit 5)', async () => {
    const { server, port } = await scriptedRelay((frame, socket, reply) => {
      if (!handshake(frame, reply)) socket.destroy();
    });
    servers.push(server);
    const conn = await Connection.open(opts(port));
    const e = await failure(conn.send('bob', randomMessageId(), new Uint8Array(100)));
    expect(e.code).toBe('CONNECTION_LOST');
    expect(e.exitCode).toBe(5);
    // Later requests fail the same way instead of hanging.
    expect((await failure(conn.ping())).exitCode).toBe(5);
  });

  it('a relay that sends garbage: RELAY_PROTOCOL, and the connection is closed', async () => {
    const { server, port } = await scriptedRelay((frame, socket) => {
      if (frame.t === 'hello') socket.write(Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]));
    });
    servers.push(server);
    const e = await failure(Connection.open(opts(port)));
    expect(e.code).toBe('RELAY_PROTOCOL');
  });

  it('a fatal err during auth becomes the mapped refusal', async () => {
    const { server, port } = await scriptedRelay((frame, socket, reply) => {
      if (frame.t === 'hello') handshake(frame, reply);
      if (frame.t === 'auth') {
        reply({ t: 'err', code: 'ALREADY_RECEIVING', msg: 'busy', fatal: true });
        socket.end();
      }
    });
    servers.push(server);
    const e = await failure(Connection.open(opts(port, { mode: 'recv' })));
    expect(e.code).toBe('ALREADY_RECEIVING');
    expect(e.exitCode).toBe(6);
    expect(e.message).toContain('another session is already receiving for alice');
  });

  it('queues msg and synced that arrive with welcome until resume()', async () => {
    const id = randomMessageId();
    const { server, port } = await scriptedRelay((frame, _socket, reply) => {
      if (frame.t === 'hello') handshake(frame, reply);
      if (frame.t === 'auth') {
        reply({ t: 'welcome', user: frame.user, mode: frame.mode, registered: false });
        reply({ t: 'msg', id, env: new Uint8Array(60), ts: 5 });
        reply({ t: 'synced' });
      }
    });
    servers.push(server);
    const conn = await Connection.open(opts(port, { mode: 'recv' }));
    await new Promise((r) => setTimeout(r, 50)); // a window for the frames to arrive while paused (they may not: fine)
    const seen: string[] = [];
    conn.on('msg', (m) => seen.push(`msg:${m.ts}`));
    conn.on('synced', () => seen.push('synced'));
    conn.resume();
    await until(() => seen.length === 2, 'the held frames');
    expect(seen).toEqual(['msg:5', 'synced']);
    await conn.close();
  });
});

describe('Connection against the real relay', () => {
  let t: ReturnType<typeof tempDir>;
  let relay: InProcessRelay;
  beforeAll(async () => {
    t = tempDir('conn');
    relay = await relayInProcess(t.dir);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('registers on first login, logs in after, and answers ping', async () => {
    const first = await Connection.open(opts(relay.port));
    expect(first.registered).toBe(true);
    expect(first.relayId).toHaveLength(32);
    await first.ping();
    await first.close();
    const second = await Connection.open(opts(relay.port, { expectedRelayId: first.relayId }));
    expect(second.registered).toBe(false);
    await second.close();
  });

  it('refuses a relay whose id is not the pinned one: RELAY_CHANGED (exit 6)', async () => {
    const e = await failure(Connection.open(opts(relay.port, { expectedRelayId: new Uint8Array(32).fill(9) })));
    expect(e.code).toBe('RELAY_CHANGED');
    expect(e.exitCode).toBe(6);
    expect(e.hint).toContain('chat login alice');
  });

  it('another key for a registered username: KEY_MISMATCH (exit 6)', async () => {
    await (await Connection.open(opts(relay.port))).close();
    const e = await failure(Connection.open(opts(relay.port, { identity: generateIdentity() })));
    expect(e.code).toBe('KEY_MISMATCH');
    expect(e.exitCode).toBe(6);
  });

  it('a second receiving session: ALREADY_RECEIVING (exit 6)', async () => {
    const receiving = await Connection.open(opts(relay.port, { mode: 'recv' }));
    const e = await failure(Connection.open(opts(relay.port, { mode: 'recv' })));
    expect(e.code).toBe('ALREADY_RECEIVING');
    // A send session may run beside it (§8).
    await (await Connection.open(opts(relay.port))).close();
    await receiving.close();
  });

  it('lookup of an unknown user: UNKNOWN_USER (exit 3), and the connection stays usable', async () => {
    const conn = await Connection.open(opts(relay.port));
    const e = await failure(conn.lookup('nobody'));
    expect(e.code).toBe('UNKNOWN_USER');
    expect(e.exitCode).toBe(3);
    const own = await conn.lookup('alice');
    expect(new Uint8Array(own.idpk)).toEqual(alice.identity.publicKey);
    await conn.close();
  });
});
