/**
 * Crash safety of the relay (PROTOCOL.md §9): senders stream messages while the real `chat-relay` process is SIGKILLed
 * at random moments and restarted on the same data directory. Senders retry whatever was not acknowledged with `sent`
 * (same id); the receiver records each delivered id in its history before acknowledging it. At the end every
 * message a sender saw acknowledged is in the receiver's history exactly once, nothing unknown is, and the
 * unacknowledged ones were retried. Seed and counts are printed; docs/RELIABILITY.md reports them.
 */
import { afterAll, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, toHex } from '@chat/crypto';
import type { RelayFrame } from '@chat/protocol';
import { RawClient } from '../helpers/raw-client.js';
import { seeded, sleep, testSeed } from '../fixtures/random.js';
import { relayBinary, type BinaryRelay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const SENDERS = 3;
const PER_SENDER = Number(process.env.CRASH_MESSAGES ?? '1000');
const SEED = testSeed('CRASH_SEED');
const WINDOW = 16;
/** Messages per second per sender, so that kills land while all three are streaming. */
const RATE = 400;

const tmp = tempDir('kill-relay');
/** The relay of the moment: SIGKILLed and started again on the same data directory. */
let relay: BinaryRelay | undefined;
let starts = 0;
async function startRelay(): Promise<void> {
  relay = await relayBinary(tmp.dir, {
    args: ['--quiet'],
    env: { CHAT_RELAY_MESSAGES_PER_SECOND: '100000', CHAT_RELAY_MESSAGES_BURST: '100000' },
  });
  starts++;
}
afterAll(async () => {
  await relay?.kill();
  tmp.cleanup();
});

/** Connects and logs in, or returns undefined if the relay is down right now. */
async function session(
  user: string,
  identity: ReturnType<typeof generateIdentity>,
  mode: 'send' | 'recv',
): Promise<RawClient | undefined> {
  try {
    const c = await RawClient.connect(relay!.port);
    const w = await c.login(user, identity, mode);
    if (w.t === 'welcome') return c;
    c.close();
  } catch {
    /* down or dying */
  }
  await sleep(20);
  return undefined;
}

const stats = { acked: new Set<string>(), generated: new Set<string>(), retries: 0, reconnects: 0 };

async function runSender(name: string): Promise<void> {
  const identity = generateIdentity();
  const ids = Array.from({ length: PER_SENDER }, () => randomMessageId());
  for (const id of ids) stats.generated.add(toHex(id));
  const envs = ids.map((_, i) => new Uint8Array(49 + (i % 150)).fill(i & 0xff));
  const attempted = new Set<number>();
  const started = Date.now();
  let paced = 0;
  const done = new Set<number>();
  while (done.size < ids.length) {
    const c = await session(name, identity, 'send');
    if (!c) continue;
    stats.reconnects++;
    try {
      const todo = ids.map((_, i) => i).filter((i) => !done.has(i));
      let next = 0;
      const inFlight = new Map<number, number>(); // rid → index
      while (next < todo.length || inFlight.size > 0) {
        while (inFlight.size < WINDOW && next < todo.length) {
          const ahead = (paced + 1) * (1000 / RATE) - (Date.now() - started);
          if (ahead > 0 && inFlight.size > 0) break; // wait for replies, then pace
          if (ahead > 0) await sleep(ahead);
          paced++;
          const i = todo[next++]!;
          if (attempted.has(i)) stats.retries++;
          attempted.add(i);
          inFlight.set(i + 1, i);
          c.send({ t: 'send', rid: i + 1, to: 'sink', id: ids[i]!, env: envs[i]! });
        }
        const reply = await c.next(
          (f: RelayFrame) => (f.t === 'sent' || f.t === 'err') && f.rid !== undefined && inFlight.has(f.rid),
        );
        const i = inFlight.get((reply as { rid: number }).rid)!;
        inFlight.delete(i + 1);
        if (reply.t === 'sent') {
          done.add(i);
          stats.acked.add(toHex(ids[i]!));
        } else {
          throw new Error(`unexpected refusal ${JSON.stringify(reply)}`);
        }
      }
    } catch (err) {
      if (!c.closed && !String(err).includes('timed out')) throw err; // only a dying relay may interrupt us
    } finally {
      c.close();
    }
  }
}

it(`every acknowledged message survives SIGKILLs of the relay exactly once (${SENDERS} × ${PER_SENDER} messages)`, async () => {
  const random = seeded(SEED);
  await startRelay();
  const sinkId = generateIdentity();
  const sink0 = await session('sink', sinkId, 'send'); // register the recipient
  sink0?.close();

  const history = new Map<string, number>(); // id → deliveries seen
  let receiving = true;
  const receiver = (async () => {
    while (receiving || history.size < stats.generated.size) {
      const c = await session('sink', sinkId, 'recv');
      if (!c) continue;
      try {
        for (;;) {
          const f = await c
            .next((x) => x.t === 'msg', 300)
            .catch((e: Error) => {
              if (c.closed || !receiving) throw e;
              return undefined; // quiet for a while; keep waiting
            });
          if (f?.t !== 'msg') continue;
          const id = toHex(f.id);
          history.set(id, (history.get(id) ?? 0) + 1); // commit to history first…
          c.send({ t: 'ack', ids: [f.id] }); // …then acknowledge (§9)
        }
      } catch {
        /* relay died; reconnect */
      } finally {
        c.close();
      }
      if (!receiving && history.size >= stats.generated.size) break;
    }
  })();

  const senders = Promise.all(Array.from({ length: SENDERS }, (_, s) => runSender(`sender${s}`)));
  let kills = 0;
  let sendersDone = false;
  void senders.then(() => (sendersDone = true));
  // Kill after a random 100–350 further acknowledgements (so the number of kills does not depend on machine speed),
  // at a moment when senders have messages in flight.
  let killAt = 100 + random() * 250;
  while (!sendersDone) {
    await sleep(5);
    if (sendersDone) break;
    if (stats.acked.size < killAt) continue;
    killAt = stats.acked.size + 100 + random() * 250;
    await relay!.kill();
    kills++;
    await startRelay();
  }
  await senders;
  // Let the receiver drain what is left (polled; the suite's timeout bounds it), then stop it.
  while (history.size < stats.generated.size) await sleep(50);
  receiving = false;
  await receiver;
  await relay!.stop();

  const missing = [...stats.acked].filter((id) => !history.has(id));
  const unknown = [...history.keys()].filter((id) => !stats.generated.has(id));
  const redelivered = [...history.values()].filter((n) => n > 1).length;
  console.log(
    `[crash] seed ${SEED}: ${kills} SIGKILLs survived, ${starts} starts, ${stats.generated.size} messages, ` +
      `${stats.acked.size} acknowledged, ${stats.retries} retried after a kill, ${redelivered} redelivered ` +
      `(removed by id), ${missing.length} lost, ${unknown.length} unknown`,
  );
  expect(kills).toBeGreaterThanOrEqual(5);
  expect(missing).toEqual([]);
  expect(unknown).toEqual([]);
  expect(stats.acked.size).toBe(SENDERS * PER_SENDER);
  expect(history.size).toBe(SENDERS * PER_SENDER);
  expect(stats.retries).toBeGreaterThan(0);
});
