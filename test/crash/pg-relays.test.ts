/**
 * Failure tests of several relays on one PostgreSQL (issue 17, docs/SCALING.md): three built `chat-relay` processes
 * on one throwaway database, senders and a receiver spread over them, a checker comparing every `sent` with every
 * delivery. Clients that lose their relay move to another one: a SIGKILLed relay's liveness lock goes with its
 * process, so another relay grants its receiver's session at once; a SIGSTOPped one keeps it, and its receiver waits
 * for the lease (8 s). Seed, counts and how long clients took to move are printed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, toHex, type Identity } from '@chat/crypto';
import type { RelayFrame } from '@chat/protocol';
import { usePostgres } from '../fixtures/postgres.js';
import { seeded, sleep, testSeed } from '../fixtures/random.js';
import { relayBinary, type BinaryRelay } from '../fixtures/relay.js';
import { scaled } from '../fixtures/scale.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../fixtures/wait.js';

const SEED = testSeed('CRASH_SEED');
const RELAYS = 3;
const SENDERS = 3;
/** Messages each sender sends at least; it streams on until the last SIGKILL. */
const PER_SENDER = Number(process.env.CRASH_MESSAGES ?? '100');
/**
 * Relay SIGKILLs: 8 at the CI size, each a relay start of about 0.7 s of CPU and a stretch of streaming; the original
 * 20 under CHAT_TEST_SCALE=long (`npm run test:long`). CRASH_KILLS overrides both.
 */
const KILLS = Number(process.env.CRASH_KILLS ?? scaled(8, 20));
const WINDOW = 8;

const pg = usePostgres();
const dirs: TempDir[] = [];
/** The relays of the moment, by slot; a slot is empty between a kill and the restart. */
const relays: (BinaryRelay | undefined)[] = [];
let url = '';
let starts = 0;

/** Each slot's data directory: a replacement relay starts on its killed predecessor's, stale `control.sock` and all. */
const slotDirs = new Map<number, string>();

/**
 * Starts a relay in `slot` on that slot's data directory, as an operator's restart does. The killed relay left its
 * control socket there; that once made the restart fail to load `pg` (Node's realpath after a stat of a socket,
 * docs/SCALING.md).
 */
async function start(slot: number, quiet = true): Promise<void> {
  let dir = slotDirs.get(slot);
  if (dir === undefined) {
    const d = tempDir(`pg-relay-${slot}`);
    dirs.push(d);
    dir = d.dir;
    slotDirs.set(slot, dir);
  }
  relays[slot] = await relayBinary(dir, {
    args: [...(quiet ? ['--quiet'] : []), '--store', url],
    env: { CHAT_RELAY_MESSAGES_PER_SECOND: '100000', CHAT_RELAY_MESSAGES_BURST: '100000' },
  });
  starts++;
}

beforeAll(async () => {
  url = await pg.database();
});
/** Replacement relays starting in the background: awaited before the clean-up, so none is left running. */
const restarts: Promise<void>[] = [];
const restartErrors: string[] = [];
afterAll(async () => {
  await Promise.allSettled(restarts);
  for (const r of relays) await r?.kill();
  for (const d of dirs) d.cleanup();
});

/** Which relay each client (by user name) is logged in on, and since when a client has been without one. */
const where = new Map<string, BinaryRelay>();
const orphanedAt = new Map<string, number>();
/** For every client whose relay was SIGKILLed: ms from the SIGKILL to its next `welcome` on another relay. */
const backMs: { user: string; ms: number }[] = [];

/** Logs in on the relay in `slot` (or the next live one); undefined if that failed (relay down, lease held). */
async function session(
  slot: number,
  user: string,
  id: Identity,
  mode: 'send' | 'recv',
): Promise<RawClient | undefined> {
  for (let k = 0; k < RELAYS; k++) {
    const r = relays[(slot + k) % RELAYS];
    if (!r) continue;
    try {
      const c = await RawClient.connect(r.port);
      const w = await c.login(user, id, mode);
      if (w.t === 'welcome') {
        const since = orphanedAt.get(user);
        if (since !== undefined) backMs.push({ user, ms: performance.now() - since });
        orphanedAt.delete(user);
        where.set(user, r);
        return c;
      }
      c.close();
    } catch {
      /* down or dying: try the next */
    }
  }
  await sleep(50); // a client's back-off before the next round, not a wait for an event
  return undefined;
}

const stats = { acked: new Set<string>(), generated: new Set<string>(), retries: 0, moves: 0 };

/** Set once the last SIGKILL is done: senders then finish what they have (and at least PER_SENDER each). */
let killsDone = false;

/** Streams to `sink` until the kills are done, WINDOW sends in flight, moving on when its relay dies. */
async function runSender(s: number): Promise<void> {
  const me = generateIdentity();
  const ids: Uint8Array[] = [];
  const env = (i: number) => new Uint8Array(64 + (i % 100)).fill(i & 0xff);
  const more = () => !killsDone || ids.length < PER_SENDER;
  const done = new Set<number>();
  const tried = new Set<number>();
  let slot = s % RELAYS;
  while (more() || done.size < ids.length) {
    const c = await session(slot, `sender${s}`, me, 'send');
    if (!c) continue;
    try {
      const todo = ids.map((_, i) => i).filter((i) => !done.has(i)); // the unacknowledged first, same ids
      let next = 0;
      const nextIndex = (): number | undefined => {
        if (next < todo.length) return todo[next++];
        if (!more()) return undefined;
        const id = randomMessageId();
        stats.generated.add(toHex(id));
        return ids.push(id) - 1;
      };
      const inFlight = new Set<number>();
      for (;;) {
        for (let i = inFlight.size < WINDOW ? nextIndex() : undefined; i !== undefined; ) {
          if (tried.has(i)) stats.retries++;
          tried.add(i);
          inFlight.add(i + 1);
          c.send({ t: 'send', rid: i + 1, to: 'sink', id: ids[i]!, env: env(i) });
          i = inFlight.size < WINDOW ? nextIndex() : undefined;
        }
        if (inFlight.size === 0) break;
        const reply = await c.next((f: RelayFrame) => 'rid' in f && inFlight.has(f.rid as number));
        const rid = (reply as { rid: number }).rid;
        inFlight.delete(rid);
        if (reply.t !== 'sent') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
        done.add(rid - 1);
        stats.acked.add(toHex(ids[rid - 1]!));
      }
    } catch (err) {
      if (!c.closed) throw err; // only a dying relay may interrupt a sender
      slot = (slot + 1) % RELAYS;
      stats.moves++;
    } finally {
      c.close();
    }
  }
}

it(`relays SIGKILLed ${KILLS} times mid-stream lose no acknowledged message (${RELAYS} relays, ${SENDERS} senders)`, async () => {
  const random = seeded(SEED);
  for (let slot = 0; slot < RELAYS; slot++) await start(slot);
  const fingerprints = new Set(relays.map((r) => r!.fingerprint));
  expect(fingerprints.size).toBe(1); // one certificate for all of them
  const sinkId = generateIdentity();
  (await session(0, 'sink', sinkId, 'send'))?.close(); // registers the recipient

  const history = new Map<string, number>(); // id → deliveries
  let sendersDone = false;
  const receiver = (async () => {
    let slot = 0;
    while (!sendersDone || history.size < stats.generated.size) {
      const c = await session(slot, 'sink', sinkId, 'recv');
      slot = (slot + 1) % RELAYS;
      if (!c) continue;
      try {
        for (;;) {
          const f = await c
            .next((x) => x.t === 'msg', 500)
            .catch((e: Error) => {
              if (c.closed) throw e;
              return undefined; // quiet for a while: look whether we are done
            });
          if (sendersDone && history.size >= stats.generated.size) break;
          if (f?.t !== 'msg') continue;
          const id = toHex(f.id);
          history.set(id, (history.get(id) ?? 0) + 1); // into the history first…
          c.send({ t: 'ack', ids: [f.id] }); // …then acknowledged (§9)
        }
      } catch {
        /* its relay died: move */
      } finally {
        c.close();
      }
    }
  })();

  const senders = Promise.all(Array.from({ length: SENDERS }, (_, s) => runSender(s)));
  void senders.then(() => (sendersDone = true));
  let kills = 0;
  const pending = new Set<Promise<void>>();
  // Relays die mid-stream, a seeded number of messages apart, while another relay is up for their clients to move
  // to. The victim, chosen by the seed, is a relay that has clients on it (clients stay where they moved, so a
  // replacement may have none); its replacement starts in the background while the stream goes on. The senders
  // stream until the last kill, so the count of kills does not depend on the machine's speed.
  while (kills < KILLS) {
    if (restartErrors.length > 0) break; // reported below
    const at = stats.acked.size + 10 + Math.floor(random() * 40);
    while (stats.acked.size < at) await sleep(5);
    const live = relays.map((r, i) => (r ? i : -1)).filter((i) => i >= 0);
    if (live.length < 2) {
      await Promise.race(pending); // wait for a replacement under way
      continue;
    }
    const busy = live.filter((i) => [...where.values()].includes(relays[i]!));
    const pick = busy.length > 0 ? busy : live;
    const slot = pick[Math.floor(random() * pick.length)]!;
    const victim = relays[slot]!;
    relays[slot] = undefined;
    await victim.kill();
    const killedAt = performance.now();
    for (const [user, r] of where) if (r === victim && !orphanedAt.has(user)) orphanedAt.set(user, killedAt);
    kills++;
    const restart: Promise<void> = start(slot)
      .catch((err: unknown) => {
        restartErrors.push(String(err)); // reported below, with the counts
      })
      .finally(() => pending.delete(restart));
    pending.add(restart);
    restarts.push(restart);
  }
  killsDone = true;
  await senders;
  await receiver;
  await Promise.all(restarts);
  const total = stats.generated.size;

  const missing = [...stats.acked].filter((id) => !history.has(id));
  const unknown = [...history.keys()].filter((id) => !stats.generated.has(id));
  const redelivered = [...history.values()].filter((n) => n > 1).length;
  console.log(
    `[pg-crash] seed ${SEED}: ${kills} SIGKILLs, ${starts} starts, ${total} messages, ${stats.acked.size} ` +
      `acknowledged, ${stats.retries} retried, ${stats.moves} sender moves, ${redelivered} redelivered (removed by ` +
      `id), ${missing.length} lost, ${unknown.length} unknown`,
  );
  // How long clients were without a relay: a figure to report (docs/SCALING.md), not an assertion on a clock.
  const figure = (user: (u: string) => boolean) => {
    const ms = backMs
      .filter((b) => user(b.user))
      .map((b) => b.ms)
      .sort((x, y) => x - y);
    if (ms.length === 0) return 'none moved';
    const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!);
    return `${ms.length} moves, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`;
  };
  console.log(
    `[pg-crash] back on another relay after a SIGKILL: receiver ${figure((u) => u === 'sink')}; ` +
      `senders ${figure((u) => u !== 'sink')}`,
  );
  expect(restartErrors).toEqual([]);
  expect(kills).toBe(KILLS);
  expect(missing).toEqual([]);
  expect(unknown).toEqual([]);
  expect(history.size).toBe(total);
  for (const r of relays) await r?.stop();
});

it('a relay SIGSTOPped past its lease: its receiver moves, and when it resumes it fences itself and delivers nothing', async () => {
  for (const r of relays) await r?.kill();
  url = await pg.database();
  for (let slot = 0; slot < RELAYS; slot++) await start(slot, false); // its log says when it fences itself
  const sinkId = generateIdentity();
  const senderId = generateIdentity();
  const old = (await session(0, 'sink', sinkId, 'recv'))!;
  await old.nextOfType('synced');
  const paused = relays[0]!;
  const stoppedAt = Date.now();
  paused.proc.kill('SIGSTOP');
  relays[0] = undefined; // clients see it as gone (a stopped relay accepts TCP but never answers TLS)
  const sender = (await session(1, 'sender', senderId, 'send'))!;
  const ids = Array.from({ length: 20 }, () => randomMessageId());
  ids.forEach((id, i) => sender.send({ t: 'send', rid: i + 1, to: 'sink', id, env: new Uint8Array(64) }));
  for (let i = 1; i <= ids.length; i++) await sender.next((f) => 'rid' in f && f.rid === i && f.t === 'sent');
  // The client gave up on the silent relay; the lease lets another relay take it over once it has run out.
  let moved: RawClient | undefined;
  while (!moved) moved = await session(1, 'sink', sinkId, 'recv');
  const movedMs = Date.now() - stoppedAt;
  const got = new Set<string>();
  while (got.size < ids.length) {
    const m = await moved.nextOfType('msg');
    got.add(toHex(m.id));
    moved.send({ t: 'ack', ids: [m.id] });
  }
  // The pause ends here: another relay holds the receiver's lease, which it could take only once the paused relay's
  // heartbeat was older than the lease (8 s), so the paused relay is past the 6 s after which it must fence itself.
  // Waiting longer would test the same state (it once slept on to 15 s).
  paused.proc.kill('SIGCONT');
  relays[0] = paused;
  await until(
    () => (paused.stdout() + paused.stderr()).includes('cluster_fenced'),
    'the resumed relay to fence itself',
  );
  // Its old receiving session is ended, and nothing of what was stored meanwhile went out on it.
  expect(await old.next((f: RelayFrame) => f.t === 'err')).toMatchObject({ code: 'SHUTTING_DOWN' });
  await expect(old.next((f: RelayFrame) => f.t === 'msg')).rejects.toThrow(/closed/);
  // It serves again: a message sent through it reaches the session on the other relay.
  const later = (await session(0, 'sender', senderId, 'send'))!;
  const last = randomMessageId();
  later.send({ t: 'send', rid: 1, to: 'sink', id: last, env: new Uint8Array(64) });
  expect(toHex((await moved.nextOfType('msg')).id)).toBe(toHex(last));
  console.log(`[pg-stop] the receiver moved ${movedMs} ms after SIGSTOP (lease 8 s); the resumed relay fenced itself`);
  for (const c of [sender, later, moved]) c.close();
  for (const r of relays) await r?.stop();
});
