/**
 * A live session over its per-user request rate (§11) against the real relay binary: the relay refuses with
 * `RATE_LIMITED` and names a wait (§10); the outbox keeps every message queued and sends it once the wait is over, so
 * a burst typed faster than the limit arrives whole, once each and in order, and nothing is marked failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageKind, randomMessageId, sealEnvelope, utf8 } from '@chat/crypto';
import { makeUser, relayInProcess, tempDir, until, type InProcessRelay } from '../../test/helpers.js';
import { Connection } from './net/connection.js';
import type { ChatError } from './errors.js';
import { runLive } from './live.js';
import { Messenger, type ConnectionStatus, type DeliveryChange } from './messenger.js';
import type { Profile } from './profile.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
let alice: Profile;
let bob: Profile;
let carol: Profile;

beforeAll(async () => {
  t = tempDir('rate-limit');
  // A tight per-user request rate for this relay: 3 at once, then 5 a second.
  relay = await relayInProcess(`${t.dir}/relay`, { limits: { messagesPerSecond: 5, messagesBurst: 3 } });
  alice = (await makeUser(t.dir, 'alice', relay.address)).profile;
  bob = (await makeUser(t.dir, 'bob', relay.address)).profile;
  carol = (await makeUser(t.dir, 'carol', relay.address)).profile;
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

describe('the outbox over the relay rate limit', () => {
  it('a burst of 10 messages beyond the burst allowance is sent in full after the waits, none failed', async () => {
    const m = await Messenger.open(alice, { connectTimeoutMs: 2_000 });
    const controller = new AbortController();
    const live = runLive(m, { signal: controller.signal, baseDelayMs: 50, maxDelayMs: 200 });
    try {
      await new Promise<void>((resolve) => m.on('connection', (s) => s.state === 'online' && resolve()));
      const states = new Map<string, DeliveryChange['state']>();
      const failed: DeliveryChange[] = [];
      const allSent = new Promise<void>((resolve) => {
        m.on('delivery', (d) => {
          if (d.state === 'failed') failed.push(d);
          states.set(d.id, d.state);
          if (states.size === 10 && [...states.values()].every((s) => s !== 'queued')) resolve();
        });
      });
      const ids = Array.from({ length: 10 }, (_, i) => m.queueMessage('bob', `burst ${i}`).id);
      await allSent;
      expect(failed).toEqual([]);
      expect(ids.map((id) => states.get(id))).toEqual(ids.map(() => 'sent'));
      expect(m.store.outbox.list()).toEqual([]);
    } finally {
      controller.abort();
      await live.catch(() => {});
      m.close();
    }

    const b = await Messenger.open(bob, { connectTimeoutMs: 2_000 });
    try {
      const got: string[] = [];
      b.on('message', (x) => got.push(x.body));
      await b.receive();
      expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `burst ${i}`));
    } finally {
      b.close();
    }
  });

  it('a message queued in the same turn as the session comes online is sent (not left for the next one)', async () => {
    const m = await Messenger.open(carol, { connectTimeoutMs: 2_000 });
    const controller = new AbortController();
    const live = runLive(m, { signal: controller.signal, baseDelayMs: 50, maxDelayMs: 200 });
    try {
      let id = '';
      const sent = new Promise<void>((resolve) =>
        m.on('delivery', (d) => d.id === id && d.state === 'sent' && resolve()),
      );
      // Queued in the turn the session comes online, just after the receive loop's first outbox pass (the outbox is
      // empty, so that pass ends at once) has made its last check.
      await new Promise<void>((resolve) =>
        m.on('connection', (s) => {
          if (s.state !== 'online' || id) return;
          queueMicrotask(() => {
            id = m.queueMessage('bob', 'right away').id;
            resolve();
          });
        }),
      );
      await sent;
      expect(m.store.outbox.list()).toEqual([]);
    } finally {
      controller.abort();
      await live.catch(() => {});
      m.close();
    }
  });
});

describe('the live session over the relay rate limit', () => {
  // A relay of its own with one request a second and no burst beyond it, so a token freed is taken at once.
  let slow: InProcessRelay;
  let dave: Profile;
  let erin: Profile;
  beforeAll(async () => {
    slow = await relayInProcess(`${t.dir}/slow-relay`, { limits: { messagesPerSecond: 1, messagesBurst: 1 } });
    dave = (await makeUser(t.dir, 'dave', slow.address)).profile;
    erin = (await makeUser(t.dir, 'erin', slow.address)).profile;
  });
  afterAll(async () => {
    await slow.stop();
  });

  it('a live session whose lookup of a new sender is rate-limited reconnects after the wait and receives', async () => {
    const m = await Messenger.open(dave, { connectTimeoutMs: 2_000 });
    const states: ConnectionStatus[] = [];
    m.on('connection', (s) => states.push(s));
    const got: string[] = [];
    const arrived = new Promise<void>((resolve) =>
      m.on('message', (x) => {
        got.push(x.body);
        resolve();
      }),
    );
    const online = new Promise<void>((resolve) => m.on('connection', (s) => s.state === 'online' && resolve()));
    const controller = new AbortController();
    const live = runLive(m, { signal: controller.signal, baseDelayMs: 50, maxDelayMs: 200 });
    const address = { host: '127.0.0.1', port: slow.port };
    const daveSide = await Connection.open({ address, username: 'dave', identity: dave.loadIdentity(), mode: 'send' });
    const erinSide = await Connection.open({ address, username: 'erin', identity: erin.loadIdentity(), mode: 'send' });
    try {
      await online;
      // Keep dave's request bucket (shared by all his sessions, §11) empty while erin, whom dave's client has never
      // looked up, sends him a message: the live session's lookup of erin is refused with a wait.
      let draining = true;
      let refused = false;
      const drainer = (async () => {
        while (draining) {
          await daveSide.lookup('carol').catch((e: ChatError) => void (refused ||= e.code === 'RATE_LIMITED'));
          await new Promise((r) => setImmediate(r));
        }
      })();
      const id = randomMessageId();
      const daveKey = dave.loadIdentity().encryption.publicKey;
      await until(() => refused, "dave's request bucket to run empty");
      const envelope = sealEnvelope(
        { kind: MessageKind.text, from: 'erin', to: 'dave', id, ts: Date.now(), body: utf8('hello dave') },
        erin.loadIdentity().identity.secretKey,
        daveKey,
      );
      // Erin's own bucket may still be empty from her login, which published her prekeys (§23.3): wait as told.
      for (;;) {
        const err = await erinSide.send('dave', id, envelope).then(
          () => undefined,
          (e: ChatError) => e,
        );
        if (err === undefined) break;
        if (err.code !== 'RATE_LIMITED') throw err;
        await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 1_000));
      }
      const limited = () =>
        states.some((s) => s.state === 'reconnecting' && (s.error as ChatError).code === 'RATE_LIMITED');
      await until(limited, 'the live session to hit RATE_LIMITED');
      draining = false;
      await drainer;
      expect(limited()).toBe(true);
      await arrived;
      expect(got).toEqual(['hello dave']);
      expect(states.filter((s) => s.state === 'failed')).toEqual([]);
    } finally {
      controller.abort();
      await live.catch(() => {});
      await Promise.all([daveSide.close(), erinSide.close()]);
      m.close();
    }
  });
});
