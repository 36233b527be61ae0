/**
 * The remote session engine against a real daemon in this process (`chat daemon`'s function on a real Unix socket,
 * an in-process relay over TLS): what arrives becomes the session's events and is in the shared database, the ops
 * run on the daemon's Messenger (errors come back as the same ChatErrors), a key change shows as held and refused,
 * and the daemon stopping is the session's DAEMON_LOST.
 */
import { join } from 'node:path';
import { fingerprint, generateIdentity } from '@chat/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeUser,
  memIo,
  relayInProcess,
  tempDir,
  until,
  type InProcessRelay,
  type MemIo,
} from '../../test/helpers.js';
import { daemon } from '../commands/daemon.js';
import { recv } from '../commands/recv.js';
import { DaemonClient } from '../daemon/client.js';
import type { ChatError } from '../engine/errors.js';
import { Messenger } from '../engine/messenger.js';
import type { Profile } from '../engine/profile.js';
import { ChatController } from '../ui/controller.js';
import type { SessionEngine, SessionEvents } from './engine.js';
import { remoteEngine } from './remote.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
let alice: Profile;
let bob: Profile;
let daemonIo: MemIo;
const stopDaemon = new AbortController();
let daemonDone: Promise<number>;

async function attach(): Promise<SessionEngine> {
  const client = await DaemonClient.connect(bob.home);
  if (!client) throw new Error('no daemon');
  return remoteEngine(client, bob.home, bob.dbPath);
}

/** Resolves with the next `event` the engine emits. */
function next<K extends keyof SessionEvents>(e: SessionEngine, event: K): Promise<SessionEvents[K]> {
  return new Promise((resolve) => e.on(event, ((...args: SessionEvents[K]) => resolve(args)) as never));
}

beforeAll(async () => {
  t = tempDir('remote-engine');
  relay = await relayInProcess(join(t.dir, 'relay'));
  alice = (await makeUser(t.dir, 'alice', relay.address)).profile;
  bob = (await makeUser(t.dir, 'bob', relay.address)).profile;
  daemonIo = memIo({ CHAT_HOME: bob.home }, undefined, stopDaemon.signal);
  daemonDone = daemon({ json: true }, daemonIo);
  await until(() => daemonIo.out().includes('"state":"online"'), 'the daemon is online');
});
afterAll(async () => {
  stopDaemon.abort();
  await daemonDone.catch(() => 0);
  await relay.stop();
  t.cleanup();
});

describe('remote session engine', () => {
  it('sees a message once per session, sends through the daemon, and refuses bad input with typed errors', async () => {
    const one = await attach();
    const two = await attach();
    const stop = new AbortController();
    const runs = [one.run(stop.signal), two.run(stop.signal)];
    const a = await Messenger.open(alice);
    try {
      expect(one).toMatchObject({ username: 'bob', fingerprint: expect.stringMatching(/^[0-9A-F ]+$/) as string });
      expect(one.online()).toBe(true);
      await until(() => daemonIo.out().includes('"event":"subscribers","count":2'), 'both subscribed');

      const seen: string[][] = [[], []];
      one.on('message', (m) => seen[0]!.push(m.from));
      two.on('message', (m) => seen[1]!.push(m.from));
      await a.sendMessage('bob', 'to both sessions');
      await until(() => seen[0]!.length === 1 && seen[1]!.length === 1, 'each session hears the message');
      // The daemon committed before it notified: each session's own database connection has the message.
      for (const s of [one, two]) expect(s.history({ peer: 'alice' }).map((m) => m.body)).toEqual(['to both sessions']);
      expect(seen).toEqual([['alice'], ['alice']]);

      // Sending from a session: queued by the daemon's Messenger, sent over its live session.
      const { id } = await one.ops.queueMessage({ recipient: 'alice', message: 'from session one' });
      const got: string[] = [];
      await a.receive({ onMessage: (m) => got.push(`${m.id}:${m.body}`) });
      expect(got).toEqual([`${id}:from session one`]);
      await until(() => two.history({ peer: 'alice' }).some((m) => m.id === id), 'session two reads it too');

      // Errors come back as the ChatErrors they were; a bad param is USAGE.
      await expect(one.ops.checkKey({ recipient: 'nobody' })).rejects.toMatchObject({ code: 'UNKNOWN_USER' });
      await expect(one.ops.setTimer({ recipient: 'alice', seconds: -1 })).rejects.toMatchObject({ code: 'USAGE' });
      await expect(one.ops.sendFile({ recipient: 'alice', path: 'relative.txt' })).rejects.toMatchObject({
        code: 'USAGE',
      });
      expect((await one.ops.who({})).users).toContain('bob');

      // Typing (§4.1) both ways while alice has a live session: out through the daemon, in as a notification.
      const live = new AbortController();
      const alicesTyping: boolean[] = [];
      a.on('typing', (x) => alicesTyping.push(x.active));
      const receiving = a.receive({ follow: true, signal: live.signal });
      await until(() => a.recvConnection !== undefined, 'alice is live');
      const typing = next(two, 'typing');
      expect(await a.sendTyping('bob', true)).toBe(true);
      expect((await typing)[0]).toEqual({ from: 'alice', active: true });
      expect(await one.ops.sendTyping({ recipient: 'alice' })).toEqual({ sent: true });
      await until(() => alicesTyping.includes(true), 'bob typing reaches alice');
      live.abort();
      await receiving;
    } finally {
      stop.abort();
      await Promise.all(runs);
      one.close();
      two.close();
      a.close();
    }
  });

  it('drives the controller: a key change is held and blocks sending, as in a session of its own', async () => {
    // bob's profile pins another key for carol than the one she has: her message is held (§3.4).
    const { profile: carol } = await makeUser(t.dir, 'carol', relay.address);
    const engine = await attach();
    const impostor = generateIdentity();
    engine.store.contacts.import({
      username: 'carol',
      identityPublicKey: impostor.identity.publicKey,
      encryptionPublicKey: impostor.encryption.publicKey,
      fingerprint: fingerprint(impostor.identity.publicKey),
      firstSeen: Date.now(),
      trust: 'unverified',
      verifiedAt: null,
      pending: null,
    });
    const controller = new ChatController(engine, { initial: 'carol', write: () => {} });
    const c = await Messenger.open(carol);
    try {
      const held = next(engine, 'held');
      controller.start();
      await until(() => controller.connection.state === 'online', 'online through the daemon');
      await c.sendMessage('bob', 'held for a changed key').catch(() => {});
      expect((await held)[0]).toEqual({ from: 'carol', reason: 'KEY_CHANGED' });
      await until(() => controller.view().blocked === 'KEY_CHANGED', 'the banner');
      controller.submit('/trust carol');
      await until(() => controller.view().blocked === undefined, 'sending allowed again');
      expect(engine.store.contacts.get('carol')?.fingerprint).toBe(
        fingerprint(carol.loadIdentity().identity.publicKey),
      );
    } finally {
      controller.submit('/quit');
      await controller.stopped();
      engine.close();
      c.close();
    }
  });

  it('takes what arrived while no front end listened, so a later chat recv does not show it again', async () => {
    const a = await Messenger.open(alice);
    await a.sendMessage('bob', 'while nobody listened');
    a.close();
    const engine = await attach();
    // Committed by the daemon before this session subscribes: it waits in the daemon's queue for `receive`.
    await until(() => engine.history({ peer: 'alice' }).some((m) => m.body === 'while nobody listened'), 'stored');
    const heard: string[] = [];
    engine.on('message', (m) => heard.push(m.from));
    const stop = new AbortController();
    const running = engine.run(stop.signal);
    await until(() => heard.length === 1, 'the backlog is heard');
    const client = await DaemonClient.connect(bob.home);
    expect(await client?.request('receive')).toEqual({ messages: [], held: [], rejected: [] });
    client?.close();
    stop.abort();
    await running;
    engine.close();
  });

  it('detaching and attaching again (/logout, /connect) hears each message once', async () => {
    const engine = await attach();
    const a = await Messenger.open(alice);
    const heard: string[] = [];
    engine.on('message', (m) => heard.push(m.from));
    try {
      // The daemon's log since `at` shows the subscriber count `n`.
      const logged = (at: number, n: number) => daemonIo.out().slice(at).includes(`"subscribers","count":${n}}`);
      const first = new AbortController();
      let at = daemonIo.out().length;
      const running = engine.run(first.signal);
      await until(() => logged(at, 1), 'subscribed');
      at = daemonIo.out().length;
      first.abort();
      await running;
      await until(() => logged(at, 0), 'unsubscribed');
      const second = new AbortController();
      at = daemonIo.out().length;
      const again = engine.run(second.signal);
      await until(() => logged(at, 1), 'subscribed again');
      await a.sendMessage('bob', 'after reattaching');
      await until(() => engine.history({ peer: 'alice' }).some((m) => m.body === 'after reattaching'), 'stored');
      await until(() => heard.length > 0, 'heard');
      second.abort();
      await again;
      expect(heard).toEqual(['alice']);
    } finally {
      engine.close();
      a.close();
    }
  });

  it('detaches when aborted while it is still attaching (/quit or /logout right after /connect)', async () => {
    const engine = await attach();
    try {
      // Aborted while `run` awaits the daemon's answer to `subscribe`: the abort comes before the point where run()
      // waited for it, and must still end the run (unsubscribed) instead of waiting for an abort that already came.
      const at = daemonIo.out().length;
      const stop = new AbortController();
      const running = engine.run(stop.signal);
      stop.abort();
      await until(() => daemonIo.out().slice(at).includes('"subscribers","count":0}'), 'unsubscribed after all');
      await running;
      // Already aborted before it starts: it does not attach at all.
      await engine.run(stop.signal);
    } finally {
      engine.close();
    }
  });

  it('chat recv --follow through the daemon ends on a Ctrl-C that came while it was still subscribing', async () => {
    const stop = new AbortController();
    let code: number | undefined;
    const following = recv({ follow: true }, memIo({ CHAT_HOME: bob.home }, undefined, stop.signal)).then(
      (c) => (code = c),
    );
    // Before recv has even connected: the abort comes before the point where recv used to start listening for it.
    stop.abort();
    await until(() => code !== undefined, 'recv --follow returned');
    await following;
    expect(code).toBe(0);
  });

  it('reports DAEMON_LOST when the daemon stops', async () => {
    const engine = await attach();
    const statuses: string[] = [];
    engine.on('connection', (s) => statuses.push(s.state === 'failed' ? (s.error as ChatError).code : s.state));
    const run = engine.run(new AbortController().signal);
    await until(() => statuses.includes('online'), 'attached');
    stopDaemon.abort();
    await run;
    expect(statuses.at(-1)).toBe('DAEMON_LOST');
    await expect(engine.ops.who({})).rejects.toMatchObject({ code: 'DAEMON_LOST' });
    engine.close();
    expect(await daemonDone).toBe(0);
  });
});
