/**
 * Abuse on real sockets (PROTOCOL.md §10, §11): each abuser gets its typed error while a well-behaved client on the
 * same relay keeps being served. Its round-trip times are measured during the abuse; the bounds asserted here are
 * deliberately generous (a shared CI machine), the measured numbers are printed and reported in docs/RELIABILITY.md.
 */
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { generateIdentity, randomMessageId } from '@chat/crypto';
import { encodeFrame, type ErrFrame, type RelayFrame } from '@chat/protocol';
import type { RelayOptions, RunningRelay } from '@chat/relay';
import { measureLatency, type LatencyReport } from '../helpers/latency.js';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

type Cleanups = (() => Promise<void> | void)[];
const runCleanups = async (list: Cleanups): Promise<void> => {
  for (const c of list.splice(0).reverse()) await c();
};
/** The sequential tests' clean-ups, run after each. */
const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));
/** A concurrent test's own clean-ups, run when it finishes (vitest tracks concurrent tests only through their context). */
const ownCleanups = (onTestFinished: TestContext['onTestFinished']): Cleanups => {
  const list: Cleanups = [];
  onTestFinished(() => runCleanups(list));
  return list;
};

async function setup(
  options: Partial<RelayOptions>,
  cleanups: Cleanups,
): Promise<{ relay: RunningRelay; bystander: RawClient }> {
  const tmp = tempDir('abuse');
  const relay = await relayInProcess(tmp.dir, options);
  cleanups.push(
    () => tmp.cleanup(),
    () => relay.close(),
  );
  const bystander = await RawClient.connect(relay.port);
  cleanups.push(() => bystander.close());
  expect(await bystander.login('bystander', generateIdentity(), 'send')).toMatchObject({ t: 'welcome' });
  return { relay, bystander };
}

/** Keeps measuring a little after a fast abuse ended, so the report has samples from right after it too. */
const settle = () => new Promise((r) => setTimeout(r, 300));

function report(name: string, r: LatencyReport): void {
  // Reported in docs/RELIABILITY.md ("Abuse").
  console.log(
    `[abuse] ${name}: bystander rtt over ${r.samples} pings: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`,
  );
  // Served during and after (stop() ends with one more round trip); how fast is a benchmark's question, not a test's.
  expect(r.samples).toBeGreaterThanOrEqual(2);
}

const envelope = (n: number) => new Uint8Array(n).fill(1);

/** Says hello; resolves with the relay's first answer: the err of a refused connection, or a challenge. */
async function firstAnswer(c: RawClient): Promise<RelayFrame | undefined> {
  c.send({ t: 'hello', v: 1, agent: 'raw-test' });
  return c.next((f) => f.t === 'err' || f.t === 'challenge').catch(() => undefined);
}

describe('abuse: each abuser gets its error, a bystander stays served', () => {
  it('a connection flood beyond maxConnections gets TOO_MANY_CONNECTIONS', async () => {
    const { relay, bystander } = await setup(
      { limits: { maxConnections: 30, connectionsPerIpBurst: 1_000 } },
      cleanups,
    );
    const lat = measureLatency(bystander);
    const flood = await Promise.all(Array.from({ length: 60 }, () => RawClient.connect(relay.port)));
    cleanups.push(() => flood.forEach((c) => c.close()));
    // Every connection says hello: a refused one has its err (sent on accept), an admitted one gets a challenge. No
    // clock decides which is which.
    const errs = await Promise.all(
      flood.map((c) =>
        firstAnswer(c).then((f) => (f?.t === 'err' ? f.code : f?.t === 'challenge' ? 'open' : 'closed')),
      ),
    );
    expect(errs.filter((e) => e === 'TOO_MANY_CONNECTIONS').length).toBeGreaterThanOrEqual(30);
    expect(errs.filter((e) => e === 'open').length).toBe(29); // 30 minus the bystander; each got its challenge
    expect(relay.connections()).toBe(30);
    report('connection flood (60 beyond a limit of 30)', await lat.stop());
    expect(await relay.metrics.render()).toMatch(
      /chat_relay_connections_rejected_total\{code="TOO_MANY_CONNECTIONS"\} (\d+)/,
    );
  });

  it('a sender over its message rate gets RATE_LIMITED (not fatal) and may send again later', async () => {
    const { bystander, relay } = await setup({ limits: { messagesPerSecond: 20, messagesBurst: 20 } }, cleanups);
    const lat = measureLatency(bystander);
    const spammer = await RawClient.connect(relay.port);
    cleanups.push(() => spammer.close());
    await spammer.login('spammer', generateIdentity());
    const n = 200;
    for (let rid = 1; rid <= n; rid++)
      spammer.send({ t: 'send', rid, to: 'bystander', id: randomMessageId(), env: envelope(100) });
    const replies = [];
    for (let i = 0; i < n; i++) replies.push(await spammer.next((f) => f.t === 'sent' || f.t === 'err'));
    const limited = replies.filter((f) => f.t === 'err' && f.code === 'RATE_LIMITED');
    const sent = replies.filter((f) => f.t === 'sent');
    expect(limited.length).toBeGreaterThanOrEqual(150);
    expect(sent.length).toBeGreaterThanOrEqual(20);
    expect(limited.every((f) => f.t === 'err' && !f.fatal && f.rid !== undefined)).toBe(true);
    expect(spammer.closed).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    spammer.send({ t: 'ping', rid: 9_999 });
    expect(await spammer.nextOfType('pong')).toEqual({ t: 'pong', rid: 9_999 });
    await settle();
    report('message rate (200 sends at once, 20/s burst 20)', await lat.stop());
  });

  it('a sender over its byte rate gets RATE_LIMITED', async () => {
    const { bystander, relay } = await setup({ limits: { bytesPerSecond: 50_000, bytesBurst: 100_000 } }, cleanups);
    const lat = measureLatency(bystander);
    const hog = await RawClient.connect(relay.port);
    cleanups.push(() => hog.close());
    await hog.login('hog', generateIdentity());
    for (let rid = 1; rid <= 20; rid++)
      hog.send({ t: 'send', rid, to: 'bystander', id: randomMessageId(), env: envelope(20_000) });
    const replies = [];
    for (let i = 0; i < 20; i++) replies.push(await hog.next((f) => f.t === 'sent' || f.t === 'err'));
    const sent = replies.filter((f) => f.t === 'sent').length;
    expect(sent).toBeGreaterThanOrEqual(4);
    expect(sent).toBeLessThanOrEqual(6);
    expect(replies.filter((f) => f.t === 'err' && f.code === 'RATE_LIMITED').length).toBe(20 - sent);
    await settle();
    report('byte rate (20 × 20 kB at once, 50 kB/s burst 100 kB)', await lat.stop());
  });

  it('a mailbox filled to quota answers MAILBOX_FULL (not fatal)', async () => {
    const { bystander, relay } = await setup({ quota: { maxMessages: 50 } }, cleanups);
    const lat = measureLatency(bystander);
    const filler = await RawClient.connect(relay.port);
    cleanups.push(() => filler.close());
    await filler.login('filler', generateIdentity());
    const victim = await RawClient.connect(relay.port);
    cleanups.push(() => victim.close());
    await victim.login('victim', generateIdentity(), 'send');
    victim.close();
    const replies = [];
    for (let rid = 1; rid <= 60; rid++) {
      filler.send({ t: 'send', rid, to: 'victim', id: randomMessageId(), env: envelope(100) });
    }
    for (let i = 0; i < 60; i++) replies.push(await filler.next((f) => f.t === 'sent' || f.t === 'err'));
    expect(replies.filter((f) => f.t === 'sent').length).toBe(50);
    expect(replies.filter((f) => f.t === 'err' && f.code === 'MAILBOX_FULL' && !f.fatal).length).toBe(10);
    await settle();
    report('mailbox to quota (60 into a quota of 50)', await lat.stop());
  });

  // These four spend their time waiting for the relay's clocks (a token coming back, a handshake or idle timeout), not
  // computing: run side by side, each on its own relay, they take as long as the longest instead of the sum.
  describe.concurrent("waiting on the relay's timers", () => {
    it('too many new connections from one address per second get CONNECT_RATE_LIMITED', async ({ onTestFinished }) => {
      const cleanups = ownCleanups(onTestFinished);
      // 1/s: even if a busy machine spreads the 40 connects over many seconds, at most a few tokens come back meanwhile.
      const { relay, bystander } = await setup(
        { limits: { connectionsPerIpPerSecond: 1, connectionsPerIpBurst: 10 } },
        cleanups,
      );
      const lat = measureLatency(bystander);
      const flood = await Promise.all(Array.from({ length: 40 }, () => RawClient.connect(relay.port)));
      cleanups.push(() => flood.forEach((c) => c.close()));
      const errs = await Promise.all(flood.map((c) => firstAnswer(c)));
      const limited = errs.filter((e): e is ErrFrame => e?.t === 'err' && e.code === 'CONNECT_RATE_LIMITED');
      expect(limited.length).toBeGreaterThanOrEqual(25);
      expect(limited.every((e) => e.fatal)).toBe(true);
      // A token comes back: a new connection is admitted again (asked until it is, not after a guessed pause).
      let later: RawClient;
      for (;;) {
        later = await RawClient.connect(relay.port);
        cleanups.push(() => later.close());
        const answer = await firstAnswer(later);
        if (answer?.t === 'challenge') break;
        expect(answer).toMatchObject({ t: 'err', code: 'CONNECT_RATE_LIMITED' });
        await new Promise((r) => setTimeout(r, 100));
      }
      report('connection rate (40 at once, 5/s burst 10)', await lat.stop());
    });

    it('slow-loris: a frame sent one byte at a time is cut off by HANDSHAKE_TIMEOUT', async ({ onTestFinished }) => {
      const cleanups = ownCleanups(onTestFinished);
      // 1 s leaves the bystander's own TLS handshake and login room on a busy machine; the dribble (a byte every 250 ms)
      // would need seconds more to finish the hello.
      const { bystander, relay } = await setup({ handshakeTimeoutMs: 1_000 }, cleanups);
      const lat = measureLatency(bystander);
      const slow = await RawClient.connect(relay.port);
      cleanups.push(() => slow.close());
      const bytes = encodeFrame({ t: 'hello', v: 1, agent: 'slow-loris' });
      let sent = 0;
      const dribble = setInterval(() => {
        if (!slow.closed && sent < bytes.length) slow.writeRaw(bytes.subarray(sent, ++sent));
      }, 250);
      cleanups.push(() => clearInterval(dribble));
      expect(await slow.nextOfType('err', 6_000)).toMatchObject({ code: 'HANDSHAKE_TIMEOUT', fatal: true });
      await slow.closedPromise;
      // Cut before the dribbled hello was complete: the timeout runs from connect, not from the last byte.
      expect(sent).toBeLessThan(bytes.length);
      report('slow-loris before auth', await lat.stop());
    });

    it('slow-loris after auth: keepalive, then IDLE_TIMEOUT', async ({ onTestFinished }) => {
      const cleanups = ownCleanups(onTestFinished);
      // The bystander's pings (every 50 ms) keep it well inside 900 ms; the dribbled ping needs seconds to complete.
      const { bystander, relay } = await setup({ limits: { keepaliveMs: 300, idleTimeoutMs: 900 } }, cleanups);
      const lat = measureLatency(bystander);
      const slow = await RawClient.connect(relay.port);
      cleanups.push(() => slow.close());
      await slow.login('slowpoke', generateIdentity());
      const bytes = encodeFrame({ t: 'ping', rid: 7 });
      let sent = 0;
      const dribble = setInterval(() => {
        if (!slow.closed && sent < bytes.length) slow.writeRaw(bytes.subarray(sent, ++sent));
      }, 300);
      cleanups.push(() => clearInterval(dribble));
      expect(await slow.nextOfType('keepalive', 3_000)).toEqual({ t: 'keepalive' });
      expect(await slow.nextOfType('err', 4_000)).toMatchObject({ code: 'IDLE_TIMEOUT', fatal: true });
      await slow.closedPromise;
      expect(sent).toBeLessThan(bytes.length);
      report('slow-loris after auth', await lat.stop());
    });

    it('a client that answers keepalive stays connected past the idle timeout', async ({ onTestFinished }) => {
      const cleanups = ownCleanups(onTestFinished);
      const { relay } = await setup({ limits: { keepaliveMs: 300, idleTimeoutMs: 900 } }, cleanups);
      const c = await RawClient.connect(relay.port);
      cleanups.push(() => c.close());
      await c.login('lively', generateIdentity());
      for (let i = 0; i < 4; i++) {
        await c.nextOfType('keepalive', 2_000);
        c.send({ t: 'ping', rid: i });
        await c.nextOfType('pong');
      }
      expect(c.closed).toBe(false);
    });
  });
});
