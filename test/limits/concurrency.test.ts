/**
 * Concurrent connections per IP address and sessions per account (issue 14, finding 7; PROTOCOL.md §7, §10, §11):
 * one address or one account must not be able to hold every connection slot of the relay.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '@chat/crypto';
import { DEFAULT_LIMITS, type RelayOptions, type RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess as relayOn } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayWith(options: Partial<RelayOptions>): Promise<RunningRelay> {
  const tmp = tempDir('concurrency');
  const relay = await relayOn(tmp.dir, options);
  cleanups.push(
    () => tmp.cleanup(),
    () => relay.close(),
  );
  return relay;
}

async function connect(relay: RunningRelay): Promise<RawClient> {
  const c = await RawClient.connect(relay.port);
  cleanups.push(() => c.close());
  return c;
}

/** Waits (no time bound) until the relay has noticed closed sockets. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe('concurrency limits', () => {
  it('refuses a connection beyond maxConnectionsPerIp before any frame, and admits again once one closes', async () => {
    const relay = await relayWith({ limits: { maxConnectionsPerIp: 3 } });
    const held = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(relay);
      expect(await c.hello()).toMatchObject({ t: 'challenge' }); // admitted
      held.push(c);
    }
    const fourth = await connect(relay);
    expect(await fourth.next()).toMatchObject({ t: 'err', code: 'TOO_MANY_IP_CONNECTIONS', fatal: true });
    await fourth.closedPromise;
    held[0]!.close();
    await until(() => relay.connections() === 2);
    expect(await (await connect(relay)).hello()).toMatchObject({ t: 'challenge' });
  });

  // Review 2026-12-06 finding 4: under the old defaults (10,000 connections, 1,000 per address) ten addresses held
  // every slot. Scaled down by 100: 100 connections, per address 1 (it was 10).
  it('ten addresses cannot hold every connection slot under the default per-address share', async () => {
    const perIp = Math.max(1, Math.floor(DEFAULT_LIMITS.maxConnectionsPerIp / 100));
    const relay = await relayWith({
      limits: { maxConnections: DEFAULT_LIMITS.maxConnections / 100, maxConnectionsPerIp: perIp },
    });
    let held = 0;
    for (let ip = 21; ip <= 30; ip++)
      for (let i = 0; i < 10; i++) {
        const c = await RawClient.connect(relay.port, '127.0.0.1', { localAddress: `127.0.0.${ip}` });
        cleanups.push(() => c.close());
        const f = await c.hello().catch(() => undefined);
        if (f?.t === 'challenge') held++;
        else c.close();
      }
    expect(held).toBe(10 * perIp);
    expect(held).toBeLessThanOrEqual(DEFAULT_LIMITS.maxConnections / 100 / 10); // 100 addresses to hold every slot
    const legit = await RawClient.connect(relay.port, '127.0.0.1', { localAddress: '127.0.0.2' });
    cleanups.push(() => legit.close());
    expect(await legit.login('alice', generateIdentity())).toMatchObject({ t: 'welcome' });
  });

  it('refuses a session beyond maxSessionsPerUser at auth; other accounts are unaffected', async () => {
    const relay = await relayWith({ limits: { maxSessionsPerUser: 2 } });
    const mallory = generateIdentity();
    for (let i = 0; i < 2; i++)
      expect(await (await connect(relay)).login('mallory', mallory)).toMatchObject({ t: 'welcome' });
    expect(await (await connect(relay)).login('mallory', mallory)).toMatchObject({
      t: 'err',
      code: 'TOO_MANY_SESSIONS',
      fatal: true,
    });
    expect(await (await connect(relay)).login('alice', generateIdentity())).toMatchObject({ t: 'welcome' });
  });
});
