/**
 * Mass registration and `ack` floods (issue 14, finding 15; PROTOCOL.md §8, §9, §11): new names per IP address are
 * rate limited, accounts never used after the login that registered them expire, and `ack` is metered.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, type Identity } from '@chat/crypto';
import type { RelayOptions, RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess as relayOn } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayIn(dir: string, options: Partial<RelayOptions>): Promise<RunningRelay> {
  const relay = await relayOn(dir, options);
  cleanups.push(() => relay.close());
  return relay;
}

async function login(
  relay: RunningRelay,
  user: string,
  id: Identity = generateIdentity(),
  mode: 'send' | 'recv' = 'send',
) {
  const c = await RawClient.connect(relay.port);
  cleanups.push(() => c.close());
  return { c, reply: await c.login(user, id, mode) };
}

let rid = 1;
function lookup(c: RawClient, user: string) {
  const r = rid++;
  c.send({ t: 'lookup', rid: r, user });
  return c.next((f) => 'rid' in f && f.rid === r);
}

describe('registration and ack limits', () => {
  it('rate-limits new names per IP address; returning users are not charged', async () => {
    const tmp = tempDir('registration');
    cleanups.push(() => tmp.cleanup());
    const relay = await relayIn(tmp.dir, { limits: { registrationsPerIpBurst: 3, registrationsPerIpPerHour: 1 } });
    const first = generateIdentity();
    expect((await login(relay, 'user0', first)).reply).toMatchObject({ t: 'welcome', registered: true });
    for (let i = 1; i < 3; i++)
      expect((await login(relay, `user${i}`)).reply).toMatchObject({ t: 'welcome', registered: true });
    expect((await login(relay, 'user3')).reply).toMatchObject({
      t: 'err',
      code: 'REGISTRATION_RATE_LIMITED',
      fatal: true,
    });
    expect((await login(relay, 'user0', first)).reply).toMatchObject({ t: 'welcome', registered: false });
  });

  it('deletes an account never used after the login that registered it, once unusedAccountTtlMs has passed', async () => {
    const tmp = tempDir('unused');
    cleanups.push(() => tmp.cleanup());
    let clock = 1_000_000;
    const options = { now: () => clock, limits: { unusedAccountTtlMs: 60_000 } };
    let relay = await relayIn(tmp.dir, options);
    const alice = generateIdentity();
    (await login(relay, 'ghost')).c.close();
    (await login(relay, 'alice', alice)).c.close();
    (await login(relay, 'alice', alice)).c.close(); // alice came back: her account is in use
    await relay.close();
    clock += 60_001;
    relay = await relayIn(tmp.dir, options); // the expiry sweep runs at start (and hourly)
    const { c } = await login(relay, 'alice', alice);
    expect(await lookup(c, 'ghost')).toMatchObject({ t: 'err', code: 'UNKNOWN_USER' });
    expect(await lookup(c, 'alice')).toMatchObject({ t: 'bundle' });
  });

  it('meters ack: a flood of acknowledgements is throttled, ordinary ones are not', async () => {
    const tmp = tempDir('acks');
    cleanups.push(() => tmp.cleanup());
    const events: Record<string, unknown>[] = [];
    let sawThrottle!: () => void;
    const throttled = new Promise<void>((resolve) => (sawThrottle = resolve));
    const log = (e: Record<string, unknown>) => {
      events.push(e);
      if (e.event === 'throttled') sawThrottle();
    };
    const relay = await relayIn(tmp.dir, { log, limits: { acksPerSecond: 1, acksBurst: 300 } });
    const { c } = await login(relay, 'flooder', generateIdentity(), 'recv');
    await c.nextOfType('synced');
    const ids = () => Array.from({ length: 256 }, () => randomMessageId());
    c.send({ t: 'ack', ids: ids() }); // within the burst: not throttled
    c.send({ t: 'ping', rid: 1 });
    await c.nextOfType('pong');
    expect(events.filter((e) => e.event === 'throttled')).toEqual([]);
    c.send({ t: 'ack', ids: ids() }); // past the burst: the relay stops reading this connection for a while
    await throttled; // (the old relay never throttled: this waited until the test timed out)
    expect(events).toContainEqual(expect.objectContaining({ event: 'throttled', user: 'flooder', reason: 'ack' }));
    // Everyone else is still served.
    const other = await login(relay, 'bystander');
    other.c.send({ t: 'ping', rid: 2 });
    expect(await other.c.nextOfType('pong')).toMatchObject({ rid: 2 });
  });
});
