/**
 * Connecting while the keys unlock (Messenger.open `connectEarly`, a pending `identity` in Connection.open): the
 * handshake up to the relay-id check overlaps scrypt, `auth` waits for the keys, and every check still applies.
 */
import type { Server } from 'node:net';
import { generateIdentity, type Identity } from '@chat/crypto';
import type { ClientFrame } from '@chat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { failure, handshake, scriptedRelay, tempDir, until } from '../../test/helpers.js';
import { Connection } from './net/connection.js';
import { ChatError } from './errors.js';
import { Messenger } from './messenger.js';
import { Profile, type UnlockedKeys } from './profile.js';

const alice: Identity = generateIdentity();

const RELAY_ID_HEX = '01'.repeat(32); // what handshake() answers

/** A promise with its resolve / reject, like an unlock still under way. */
function pending<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('connecting while the keys unlock', () => {
  const servers: Server[] = [];
  const dirs: { cleanup: () => void }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    for (const d of dirs.splice(0)) d.cleanup();
  });

  /** A scripted relay recording the frame types it got, in order; `onHello` may answer differently. */
  async function relay(
    onFrame: (f: ClientFrame, reply: Parameters<typeof handshake>[1], n: number) => void = (f, reply) =>
      void handshake(f, reply),
  ) {
    const frames: string[] = [];
    let connections = 0;
    let closed = 0;
    const seen = new WeakSet<object>();
    const r = await scriptedRelay((f, socket, reply) => {
      if (!seen.has(socket)) seen.add(socket), connections++, socket.once('close', () => closed++);
      frames.push(f.t);
      onFrame(f, reply, connections);
    });
    servers.push(r.server);
    return { ...r, frames, connections: () => connections, closed: () => closed };
  }

  it('hello and the relay-id check happen before the keys are there; auth once they are', async () => {
    const r = await relay();
    const keys = pending<Identity>();
    const opening = Connection.open({
      address: { host: '127.0.0.1', port: r.port, fingerprint: r.fingerprint },
      username: 'alice',
      identity: keys.promise,
      mode: 'send',
      expectedRelayId: new Uint8Array(32).fill(1),
    });
    await until(() => r.frames.includes('hello'));
    // A window for a wrong `auth` to show up; not a wait for anything, so a slow machine cannot fail this.
    await new Promise((res) => setTimeout(res, 50));
    expect(r.frames).toEqual(['hello']); // no auth without the keys
    keys.resolve(alice);
    const conn = await opening;
    expect(conn.state).toBe('authenticated');
    expect(r.frames).toEqual(['hello', 'auth']);
    await conn.close();
  });

  it('keys that fail to unlock fail the connection with their error, and nothing is signed', async () => {
    // The keys fail while the challenge is still on its way: nothing awaits them yet, and that is no unhandled error.
    let answer: (() => void) | undefined;
    const r = await relay((f, reply) => {
      if (f.t === 'hello') answer = () => void handshake(f, reply);
      else handshake(f, reply);
    });
    const keys = pending<Identity>();
    const opening = Connection.open({
      address: { host: '127.0.0.1', port: r.port, fingerprint: r.fingerprint },
      username: 'alice',
      identity: keys.promise,
      mode: 'send',
    });
    await until(() => answer !== undefined);
    keys.reject(new ChatError('BAD_PASSPHRASE', 'wrong passphrase'));
    await new Promise((res) => setImmediate(res)); // past the microtasks: an unhandled rejection would surface here
    answer?.();
    expect((await failure(opening)).code).toBe('BAD_PASSPHRASE');
    expect(r.frames).toEqual(['hello']);
  });

  it('a changed relay id fails before the keys are even needed', async () => {
    const r = await relay();
    const keys = pending<Identity>(); // never resolves
    const err = await failure(
      Connection.open({
        address: { host: '127.0.0.1', port: r.port, fingerprint: r.fingerprint },
        username: 'alice',
        identity: keys.promise,
        mode: 'send',
        expectedRelayId: new Uint8Array(32).fill(9),
      }),
    );
    expect(err.code).toBe('RELAY_CHANGED');
    expect(r.frames).toEqual(['hello']);
  });

  /** A profile logged in to the scripted relay (its id and certificate pinned), with keys that unlock when told. */
  function profileFor(port: number, fingerprint: string | undefined): Profile {
    const t = tempDir('connect-early');
    dirs.push(t);
    const profile = new Profile(t.dir);
    profile.saveIdentity(alice);
    profile.saveConfig({
      version: 1,
      username: 'alice',
      relay: `127.0.0.1:${port}`,
      relayId: RELAY_ID_HEX,
      ...(fingerprint ? { relayCert: fingerprint } : {}),
    });
    return profile;
  }

  it('Messenger: the first connect(mode) takes the early connection; later ones open their own', async () => {
    const r = await relay();
    const keys = pending<UnlockedKeys>();
    const opening = Messenger.open(profileFor(r.port, r.fingerprint), {
      unlocking: keys.promise,
      connectEarly: 'send',
    });
    await until(() => r.frames.includes('hello'));
    keys.resolve({ identity: alice, storageKey: Buffer.alloc(32) });
    const m = await opening;
    try {
      const first = await m.connect('send');
      expect(r.connections()).toBe(1);
      const second = await m.connect('send');
      expect(r.connections()).toBe(2);
      await Promise.all([first.close(), second.close()]);
    } finally {
      m.close();
    }
  });

  it("Messenger: keys slower than the relay's handshake window cost the early connection, not the command", async () => {
    // The first connection gets a fatal HANDSHAKE_TIMEOUT right after its challenge; the second is served normally.
    const r = await relay((f, reply, n) => {
      handshake(f, reply);
      if (f.t === 'hello' && n === 1)
        reply({ t: 'err', code: 'HANDSHAKE_TIMEOUT', msg: 'no authentication in time', fatal: true });
    });
    const keys = pending<UnlockedKeys>();
    const opening = Messenger.open(profileFor(r.port, r.fingerprint), {
      unlocking: keys.promise,
      connectEarly: 'send',
    });
    await until(() => r.frames.includes('hello'));
    await until(() => r.closed() === 1, 'the early connection to end on HANDSHAKE_TIMEOUT');
    keys.resolve({ identity: alice, storageKey: Buffer.alloc(32) });
    const m = await opening;
    try {
      const conn = await m.connect('send');
      expect(conn.state).toBe('authenticated');
      expect(r.connections()).toBe(2);
      await conn.close();
    } finally {
      m.close();
    }
  });

  it('Messenger: a wrong passphrase still fails open with BAD_PASSPHRASE, and nothing is signed', async () => {
    const r = await relay();
    const keys = pending<UnlockedKeys>();
    const opening = Messenger.open(profileFor(r.port, r.fingerprint), {
      unlocking: keys.promise,
      connectEarly: 'recv',
    });
    await until(() => r.frames.includes('hello'));
    keys.reject(new ChatError('BAD_PASSPHRASE', 'wrong passphrase'));
    expect((await failure(opening)).code).toBe('BAD_PASSPHRASE');
    expect(r.frames).toEqual(['hello']);
  });
});
