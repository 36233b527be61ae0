/**
 * Mailbox flooding (issue 14, finding 3; PROTOCOL.md §11, §15.2): a `fanout` is charged per envelope, may not name a
 * recipient twice, and one sender holds at most its share of a recipient's mailbox, so a stranger cannot fill it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId } from '@chat/crypto';
import { DEFAULT_LIMITS, type RelayOptions, type RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess as relayOn } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayWith(options: Partial<RelayOptions>): Promise<RunningRelay> {
  const tmp = tempDir('flood');
  const relay = await relayOn(tmp.dir, options);
  cleanups.push(
    () => tmp.cleanup(),
    () => relay.close(),
  );
  return relay;
}

async function user(relay: RunningRelay, name: string, localAddress?: string): Promise<RawClient> {
  const c = await RawClient.connect(relay.port, '127.0.0.1', localAddress === undefined ? {} : { localAddress });
  cleanups.push(() => c.close());
  expect(await c.login(name, generateIdentity())).toMatchObject({ t: 'welcome' });
  return c;
}

/** Any bytes of a valid envelope size: the relay never opens envelopes. */
const env = () => new Uint8Array(64).fill(7);
let rid = 1;

function send(c: RawClient, to: string) {
  const r = rid++;
  c.send({ t: 'send', rid: r, to, id: randomMessageId(), env: env() });
  return c.next((f) => (f.t === 'sent' || f.t === 'err') && f.rid === r);
}

function fanout(c: RawClient, to: string[]) {
  const r = rid++;
  c.send({ t: 'fanout', rid: r, to, ids: to.map(() => randomMessageId()), envs: to.map(env) });
  return c.next((f) => (f.t === 'fanout_sent' || f.t === 'err') && (f.rid === r || f.rid === undefined));
}

describe('mailbox flooding', () => {
  it('charges a fanout one envelope token per entry', async () => {
    // Ten envelope tokens and (practically) no refill: a ten-entry fanout spends them all.
    const relay = await relayWith({ limits: { envelopesBurst: 10, envelopesPerSecond: 0.001 } });
    const names = Array.from({ length: 10 }, (_, i) => `rcpt${i}`);
    for (const n of names) (await user(relay, n)).close();
    const mallory = await user(relay, 'mallory');
    expect(await fanout(mallory, names)).toMatchObject({ t: 'fanout_sent', codes: names.map(() => '') });
    expect(await send(mallory, 'rcpt0')).toMatchObject({ t: 'err', code: 'RATE_LIMITED', fatal: false });
  });

  it('refuses a fanout that names one recipient twice, storing nothing', async () => {
    const relay = await relayWith({});
    const bobId = generateIdentity();
    const first = await RawClient.connect(relay.port);
    expect(await first.login('bob', bobId)).toMatchObject({ t: 'welcome' });
    first.close();
    const mallory = await user(relay, 'mallory');
    expect(await fanout(mallory, ['bob', 'bob'])).toMatchObject({ t: 'err', code: 'BAD_FRAME', fatal: true });
    const bob = await RawClient.connect(relay.port);
    cleanups.push(() => bob.close());
    expect(await bob.login('bob', bobId, 'recv')).toMatchObject({ t: 'welcome' });
    await bob.nextOfType('synced');
    expect(bob.frames.filter((f) => f.t === 'msg')).toEqual([]);
  });

  it('gives one sender at most its share of a recipient mailbox; other senders still get through', async () => {
    const relay = await relayWith({ limits: { mailboxSenderMaxMessages: 3 } });
    (await user(relay, 'bob')).close();
    const mallory = await user(relay, 'mallory');
    for (let i = 0; i < 3; i++) expect(await send(mallory, 'bob')).toMatchObject({ t: 'sent' });
    expect(await send(mallory, 'bob')).toMatchObject({ t: 'err', code: 'MAILBOX_FULL', fatal: false });
    expect(await fanout(mallory, ['bob'])).toMatchObject({ t: 'fanout_sent', codes: ['MAILBOX_FULL'] });
    const alice = await user(relay, 'alice');
    expect(await send(alice, 'bob')).toMatchObject({ t: 'sent' });
  });

  it('gives one source address at most its share of a mailbox, however many accounts it registers', async () => {
    // The defaults scaled down by 250 (quota 10,000 → 40, sender share 1,000 → 4, address share 2,500 → 10): ten fresh
    // accounts from one address used to fill the mailbox with their per-account shares.
    const relay = await relayWith({
      limits: { mailboxMaxMessages: 40, mailboxSenderMaxMessages: 4, mailboxAddressMaxMessages: 10 },
    });
    (await user(relay, 'bob')).close();
    let stored = 0;
    for (let a = 0; a < 10; a++) {
      const sock = await user(relay, `sock${a}`);
      for (let i = 0; i < 4; i++) if ((await send(sock, 'bob')).t === 'sent') stored++;
      sock.close();
    }
    expect(stored).toBe(10);
    // Another account behind the same address is refused too; a sender from elsewhere still gets through.
    const late = await user(relay, 'latecomer');
    expect(await send(late, 'bob')).toMatchObject({ t: 'err', code: 'MAILBOX_FULL', fatal: false });
    const alice = await user(relay, 'alice', '127.0.0.2');
    expect(await send(alice, 'bob')).toMatchObject({ t: 'sent' });
    expect(await fanout(alice, ['bob'])).toMatchObject({ t: 'fanout_sent', codes: [''] });
  });
  // Review 2026-12-06 finding 4: under the old default shares (quota 10,000, address share 2,500) four source addresses
  // filled a mailbox. The defaults scaled down by 250, so the test is small and still fails on the old ratio.
  it('four source addresses cannot fill a mailbox under the default shares; a sender from elsewhere gets through', async () => {
    const scale = (n: number) => Math.max(1, Math.floor(n / 250));
    const limits = {
      mailboxMaxMessages: scale(DEFAULT_LIMITS.mailboxMaxMessages),
      mailboxSenderMaxMessages: scale(DEFAULT_LIMITS.mailboxSenderMaxMessages),
      mailboxAddressMaxMessages: scale(DEFAULT_LIMITS.mailboxAddressMaxMessages),
    };
    const relay = await relayWith({ limits });
    (await user(relay, 'bob')).close();
    let stored = 0;
    for (const ip of ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'])
      for (let a = 0; a < 3; a++) {
        const sock = await user(relay, `s${ip.split('.')[3]}x${a}`, ip);
        for (let i = 0; i < limits.mailboxSenderMaxMessages; i++) if ((await send(sock, 'bob')).t === 'sent') stored++;
        sock.close();
      }
    expect(stored).toBe(4 * limits.mailboxAddressMaxMessages);
    expect(stored).toBeLessThanOrEqual(limits.mailboxMaxMessages / 5); // it takes at least 20 addresses to fill it
    const alice = await user(relay, 'alice', '127.0.0.2');
    expect(await send(alice, 'bob')).toMatchObject({ t: 'sent' });
  });
});
