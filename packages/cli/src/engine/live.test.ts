/**
 * The interactive engine against the real relay in process over real TCP: durable outbox across an outage,
 * reconnect with backoff, delivery / read receipts, ephemeral typing, presence. Users and Messengers come from the
 * engine fixture (packages/cli/test/engine-fixture.ts).
 */
import { MessageKind } from '@chat/crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { engineWorld } from '../../test/engine-fixture.js';
import { sealAs } from '../../test/seal-as.js';
import { tcpProxy, type Proxy as TcpProxy } from '../../test/proxy.js';
import { parseRelayAddress } from './address.js';
import { Connection } from './net/connection.js';
import { backoffDelay, runLive } from './live.js';
import type { ConnectionStatus, DeliveryChange, Messenger, OpenOptions } from './messenger.js';
import { DEFAULT_SETTINGS } from './settings.js';

const world = engineWorld('live');
const { pair } = world;
const messenger = (home: string, options: OpenOptions = {}): Promise<Messenger> => world.open(home, options);

/** Starts the live session; stops it at the end of the test. */
function live(m: Messenger, options: { baseDelayMs?: number } = {}): { done: Promise<void> } {
  const controller = new AbortController();
  const done = runLive(m, { signal: controller.signal, baseDelayMs: options.baseDelayMs ?? 50, maxDelayMs: 200 });
  world.cleanup(async () => {
    controller.abort();
    await done.catch(() => {});
  });
  return { done };
}

/** Resolves with the first event payload that satisfies `pred`. */
function next<K extends 'delivery' | 'connection' | 'typing' | 'message'>(
  m: Messenger,
  event: K,
  pred: (x: never) => boolean = () => true,
  ms = 10_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    const on = (x: never): void => {
      if (!pred(x)) return;
      clearTimeout(timer);
      (m.off as (e: string, f: unknown) => void)(event, on);
      resolve(x);
    };
    (m.on as (e: string, f: unknown) => void)(event, on);
  });
}

const online = (m: Messenger) => next(m, 'connection', (s: ConnectionStatus) => s.state === 'online');

describe('backoffDelay', () => {
  it('doubles from the base, caps at the maximum, and jitters by at most 20 %', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 500, 30_000, () => 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, 500, 30_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(1, 1000, 30_000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 30_000, () => 1)).toBe(1200);
  });
});

describe('durable outbox and reconnect', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await tcpProxy(world.relay().port);
  });
  afterAll(() => proxy.close());

  it('a message typed while the relay is unreachable is queued durably, then sent once on reconnect', async () => {
    const { a, b, aHome, bHome } = await pair();
    proxy.cut();
    const alice = await messenger(aHome, { relay: parseRelayAddress(proxy.address) });
    const statuses: ConnectionStatus['state'][] = [];
    alice.on('connection', (s) => statuses.push(s.state));
    live(alice);
    await next(alice, 'connection', (s: ConnectionStatus) => s.state === 'reconnecting');
    const queued = alice.queueMessage(b, 'typed while offline');
    expect(queued.state).toBe('queued');
    expect(alice.store.outbox.list().map((e) => e.id)).toEqual([queued.id]);
    expect(alice.history({ peer: b }).at(-1)).toMatchObject({ id: queued.id, state: 'queued' });

    const sent = next(alice, 'delivery', (d: DeliveryChange) => d.id === queued.id && d.state === 'sent');
    proxy.restore();
    await sent;
    expect(statuses).toContain('online');
    expect(alice.store.outbox.list()).toEqual([]);

    // Bob receives it exactly once, and his client's delivery receipt comes back to alice.
    const delivered = next(alice, 'delivery', (d: DeliveryChange) => d.id === queued.id && d.state === 'delivered');
    const bob = await messenger(bHome);
    const got: string[] = [];
    bob.on('message', (msg) => got.push(msg.body));
    await bob.receive();
    expect(got).toEqual(['typed while offline']);
    await delivered;
    expect(alice.history({ peer: b }).at(-1)?.state).toBe('delivered');
    // Bob reads it: a read receipt, unless he turned them off.
    const read = next(alice, 'delivery', (d: DeliveryChange) => d.id === queued.id && d.state === 'read');
    expect(bob.markRead(a)).toEqual([queued.id]);
    await bob.receive();
    await read;
    expect(alice.history({ peer: b }).at(-1)?.state).toBe('read');
  });

  it('the outbox survives a restart of the client: queued in one process, sent by the next', async () => {
    const { b, aHome, bHome } = await pair();
    const first = await messenger(aHome, { relay: parseRelayAddress('127.0.0.1:1') });
    const queued = first.queueMessage(b, 'from a closed client');
    first.close();
    const second = await messenger(aHome);
    expect(second.store.outbox.list().map((e) => e.id)).toEqual([queued.id]);
    await second.receive(); // any connection sends the outbox
    expect(second.store.outbox.list()).toEqual([]);
    const bob = await messenger(bHome);
    const got: string[] = [];
    bob.on('message', (msg) => got.push(msg.id));
    await bob.receive();
    expect(got).toEqual([queued.id]);
  });

  it('a resend after a lost `sent` (same id) is stored once and shown once', async () => {
    const { b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    const queued = alice.queueMessage(b, 'only once');
    const entry = alice.store.outbox.get(queued.id)!;
    await alice.receive(); // sent; the relay stored it
    // The client crashed before it could remove the entry: it is still in the outbox, same id.
    alice.store.outbox.enqueue(entry);
    await alice.receive();
    expect(alice.store.outbox.list()).toEqual([]);
    const bob = await messenger(bHome);
    const got: string[] = [];
    bob.on('message', (msg) => got.push(msg.body));
    const summary = await bob.receive();
    expect(got).toEqual(['only once']);
    expect(summary.received).toBe(1);
  });

  it('a refusal that retrying cannot fix stops the live session with a failed event', async () => {
    const { aHome } = await pair();
    const alice = await messenger(aHome);
    const holder = await Connection.open({
      address: alice.address,
      username: alice.username,
      identity: alice.identity,
      mode: 'recv',
    });
    world.cleanup(() => holder.close());
    const failed = next(alice, 'connection', (s: ConnectionStatus) => s.state === 'failed');
    const { done } = live(alice);
    await expect(done).rejects.toMatchObject({ code: 'ALREADY_RECEIVING' });
    await failed;
  });
});

describe('receipts', () => {
  it('read receipts can be turned off in settings; delivery receipts still go out', async () => {
    const { a, b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    const { id } = await alice.sendMessage(b, 'do not tell me you read it');
    const bob = await messenger(bHome, { settings: { ...DEFAULT_SETTINGS, readReceipts: false } });
    await bob.receive();
    expect(bob.markRead(a)).toEqual([id]);
    expect(bob.store.outbox.list()).toEqual([]); // nothing queued for the read
    await bob.receive();
    await alice.receive();
    expect(alice.history({ peer: b }).at(-1)).toMatchObject({ id, state: 'delivered' });
  });

  it('receipts queued to one peer go out together, several sends in flight at once, and all arrive', async () => {
    const { a, b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    const ids = [];
    for (const text of ['one', 'two', 'three', 'four']) ids.push((await alice.sendMessage(b, text)).id);
    const bob = await messenger(bHome, { settings: { ...DEFAULT_SETTINGS, readReceipts: false } });
    await bob.receive(); // pins alice; its delivery receipt goes out
    // Four read receipts of their own, queued while offline, then sent by the next session's outbox pass.
    for (const id of ids) bob.queueReceipt(a, MessageKind.read, [id]);
    let inFlight = 0;
    let most = 0;
    const send = Connection.prototype.send;
    const spy = vi.spyOn(Connection.prototype, 'send').mockImplementation(async function (this: Connection, ...args) {
      most = Math.max(most, ++inFlight);
      try {
        return await send.apply(this, args);
      } finally {
        inFlight--;
      }
    });
    try {
      await bob.receive();
    } finally {
      spy.mockRestore();
    }
    // The first waits for its `sent` (its peer checked), the three behind it go together.
    expect(most).toBe(3);
    expect(bob.store.outbox.list()).toEqual([]);
    await alice.receive();
    expect(alice.history({ peer: b }).map((m) => m.state)).toEqual(['read', 'read', 'read', 'read']);
  });

  it("a receipt only moves messages sent to the receipt's sender, and only forward", async () => {
    const { b, aHome, bHome } = await pair();
    const { bHome: carolHome } = await pair();
    const alice = await messenger(aHome);
    const toBob = await alice.sendMessage(b, 'for bob');
    // Carol claims to have read alice's message to bob: ignored.
    const carolM = await messenger(carolHome);
    carolM.queueReceipt(alice.username, MessageKind.read, [toBob.id]);
    await carolM.receive();
    await alice.receive();
    expect(alice.history({ peer: b }).at(-1)?.state).toBe('sent');
    // Bob's read, then a late delivered: stays read.
    const bob = await messenger(bHome);
    bob.queueReceipt(alice.username, MessageKind.read, [toBob.id]);
    bob.queueReceipt(alice.username, MessageKind.delivered, [toBob.id]);
    await bob.receive();
    await alice.receive();
    expect(alice.history({ peer: b }).at(-1)?.state).toBe('read');
  });
});

describe('typing (ephemeral) and presence', () => {
  it('typing reaches an online peer, is never stored, and is NOT_ONLINE for an offline one', async () => {
    const { a, b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    const bob = await messenger(bHome);
    await alice.sendMessage(b, 'pin each other');
    await bob.receive();
    live(alice);
    await online(alice);
    expect(await alice.sendTyping(b, true)).toBe(false); // bob is offline: nothing stored
    live(bob);
    await online(bob);
    const typing = next(bob, 'typing');
    expect(await alice.sendTyping(b, true)).toBe(true);
    expect(await typing).toEqual({ from: a, active: true });
    expect(await bob.who()).toEqual(expect.arrayContaining([a, b]));
  });

  it('a text envelope marked eph is ignored and never acknowledged; a stored typing signal is acknowledged and ignored', async () => {
    const { a, b, aHome, bHome } = await pair();
    const alice = await messenger(aHome);
    const bob = await messenger(bHome);
    await alice.sendMessage(b, 'pin');
    await bob.receive();
    live(bob);
    await online(bob);
    const conn = await alice.connect('send');
    world.cleanup(() => conn.close());
    // Sealed as alice's client would (v2 in her session with bob), but sent in ways her client never sends them.
    const seal = (kind: number, body: Uint8Array) => sealAs(alice, conn, b, { kind, body });
    const messages: string[] = [];
    const typings: unknown[] = [];
    bob.on('message', (msg) => messages.push(msg.body));
    bob.on('typing', (x) => typings.push(x));
    const text = await seal(MessageKind.text, new TextEncoder().encode('smuggled as eph'));
    await conn.send(b, text.id, text.env, { eph: true });
    const stored = await seal(MessageKind.typing, Uint8Array.of(1));
    await conn.send(b, stored.id, stored.env);
    const marker = await seal(MessageKind.text, new TextEncoder().encode('marker'));
    const markerSeen = next(bob, 'message', (x: { body: string }) => x.body === 'marker');
    await conn.send(b, marker.id, marker.env);
    await markerSeen;
    expect(messages).toEqual(['marker']);
    expect(typings).toEqual([]);
    expect(bob.history({ peer: a }).map((x) => x.body)).not.toContain('smuggled as eph');
  });
});
