/**
 * SIGKILL with protocol v2 sessions in use (issue 13; PROTOCOL.md §24), on first contact (every envelope carries the
 * PQXDH initiation, the receiver starts its session from them) and in a session both sides have used:
 *
 * - `chat recv --follow --json` killed after its k-th output line (k seeded) while draining real v2 envelopes: after
 *   every kill each message is in the relay's mailbox or in the history, nothing is shown twice across the lives,
 *   the final drain holds every id, and nothing is rejected (a state change committed without its history row, or
 *   the reverse, would show here as a decryption failure).
 * - `chat send` killed at seeded moments of its run (a random kill moment, not a wait): whatever it queued reaches the
 *   recipient exactly once once the sender's outbox goes out again (`chat recv` sends it), every send that exited 0
 *   is among them, and the recipient rejects nothing.
 *
 * Then the conversation continues both ways without a rejected warning.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Messenger } from '../../packages/cli/src/engine/messenger.js';
import { Profile } from '../../packages/cli/src/engine/profile.js';
import { CHAT_BIN, chat, jsonLines, newUser } from '../e2e/harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { seeded, sleep, testSeed } from '../fixtures/random.js';
import { tempDir } from '../fixtures/temp.js';
import { openProfileDb } from '../helpers/profile-db.js';
import { ids } from './db-ids.js';
import { killRecvRounds, noneLost, type RecvLine } from './kill-loop.js';

/**
 * Per phase. Well over one receive batch (MAX_BATCH, 512), so that kills land between commits, not only between a
 * commit and its acknowledgement, and there is something left for a second round.
 */
const MESSAGES = Number(process.env.CRASH_V2_MESSAGES ?? '1000');
const ROUNDS = 8;
/** Each receiving round is killed after a seeded 1..this many lines of output. */
const KILL_AFTER_LINES = 150;
const SEED = testSeed('CRASH_SEED');
const tmp = tempDir('kill-v2');
let relay: InProcessRelay | undefined;
afterAll(async () => {
  await relay?.stop();
  tmp.cleanup();
});

const limits = {
  messagesPerSecond: 100_000,
  messagesBurst: 100_000,
  envelopesPerSecond: 100_000,
  envelopesBurst: 100_000,
  mailboxSenderMaxMessages: 100_000,
  mailboxAddressMaxMessages: 100_000,
  connectionsPerIpPerSecond: 10_000,
  connectionsPerIpBurst: 10_000,
};

async function start(): Promise<InProcessRelay> {
  relay ??= await relayInProcess(join(tmp.dir, 'relay'), { limits });
  return relay;
}

/** `texts` from `from`'s profile to `to` through the engine in this process: real v2 envelopes, one connection. */
async function engineSend(home: string, to: string, texts: readonly string[]): Promise<Set<string>> {
  const m = await Messenger.open(new Profile(home));
  try {
    const sent = m.store.transaction(() => new Set(texts.map((t) => m.queueMessage(to, t).id)));
    const conn = await m.connect('send');
    try {
      // Sealed by the engine in order, then sent together: the relay's `sent` one at a time would take minutes.
      const send = conn.send.bind(conn);
      const sealed: Parameters<typeof send>[] = [];
      conn.send = async (...args) => void sealed.push(args);
      await m.flushOutbox(conn);
      await Promise.all(sealed.map((args) => send(...args)));
    } finally {
      await conn.close();
    }
    expect(m.store.outbox.list()).toEqual([]);
    return sent;
  } finally {
    m.close();
  }
}

/** The peer's sessions in `home`'s profile: how many, and how many still carry their initiation (unanswered). */
function sessions(home: string, peer: string): { all: number; unanswered: number } {
  const db = openProfileDb(home, { readonly: true });
  try {
    const rows = db.prepare('SELECT initiation FROM v2_sessions WHERE peer = ?').all(peer) as {
      initiation: Buffer | null;
    }[];
    return { all: rows.length, unanswered: rows.filter((r) => r.initiation !== null).length };
  } finally {
    db.close();
  }
}

const env = (home: string) => ({ PATH: process.env.PATH ?? '', HOME: home, CHAT_HOME: home, TZ: 'UTC' });

/** `chat recv --json` as `home`: what it showed; fails on any rejected envelope or warning. */
async function recv(home: string): Promise<RecvLine[]> {
  const r = await chat(['recv', '--json'], { home });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toContain('rejected');
  const lines = jsonLines<RecvLine>(r.stdout);
  expect(lines.filter((l) => l.type === 'rejected')).toEqual([]);
  return lines.filter((l) => l.type === 'message');
}

/**
 * Rounds of `chat recv --follow --json` for `bob`, each SIGKILLed after its k-th line, until nothing fresh is waiting;
 * then a final drain. Returns every id shown, in order, across all lives.
 */
async function killReceiving(bob: string, sent: Set<string>, random: () => number): Promise<string[]> {
  const relayDb = join(relay!.dataDir, 'relay.db');
  const historyDb = join(bob, 'chat.db');
  const mailbox = () => ids(relayDb, "SELECT id FROM envelopes WHERE recipient = 'bob'");
  const history = () => ids(historyDb, "SELECT id FROM messages WHERE direction = 'in'");
  const shown: string[] = [];
  let midReceive = 0;
  const kills = await killRecvRounds({
    env: env(bob),
    rounds: ROUNDS,
    maxLines: KILL_AFTER_LINES,
    random,
    seed: SEED,
    fresh: () => {
      const done = history();
      return [...mailbox()].filter((id) => sent.has(id) && !done.has(id)).length;
    },
    afterKill: ({ lines, stderr }, kill) => {
      expect(lines.filter((l) => l.type === 'rejected')).toEqual([]);
      expect(stderr).not.toContain('rejected');
      shown.push(...lines.filter((l) => l.type === 'message').map((l) => l.id!));
      if (noneLost(sent, mailbox(), history(), `lost after kill ${kill}`)) midReceive++;
    },
  });
  shown.push(...(await recv(bob)).map((l) => l.id!));
  console.log(
    `[crash] v2 receiving, seed ${SEED}: ${kills} SIGKILLs of chat recv (${midReceive} mid-drain), ${sent.size} messages, ${shown.length} shown, ${new Set(shown).size} distinct`,
  );
  expect(kills).toBeGreaterThanOrEqual(2);
  expect(midReceive).toBeGreaterThanOrEqual(1);
  const history2 = history();
  for (const id of sent) expect(history2.has(id), `${id} in the history`).toBe(true);
  return shown;
}

/** The conversation goes on: one message each way opens (in v2: `chat send` would exit 8 else), nothing rejected. */
async function continues(a: { home: string; name: string }, b: { home: string; name: string }): Promise<void> {
  expect((await chat(['send', b.name, `${a.name} goes on`], { home: a.home })).code).toBe(0);
  expect((await recv(b.home)).map((l) => l.body)).toEqual([`${a.name} goes on`]);
  expect((await chat(['send', a.name, `${b.name} goes on`], { home: b.home })).code).toBe(0);
  expect((await recv(a.home)).map((l) => l.body)).toEqual([`${b.name} goes on`]);
}

describe('SIGKILL with v2 sessions', () => {
  it(`chat recv killed mid-receive, on first contact and in an answered session (${MESSAGES} + ${MESSAGES})`, async () => {
    const random = seeded(SEED);
    await start();
    const alice = await newUser(tmp.dir, 'alice', relay!);
    const bob = await newUser(tmp.dir, 'bob', relay!);

    // First contact: bob has never heard of alice; every envelope carries alice's initiation.
    const first = await engineSend(
      alice,
      'bob',
      Array.from({ length: MESSAGES }, (_, i) => `first contact ${i}`),
    );
    expect(sessions(alice, 'bob')).toEqual({ all: 1, unanswered: 1 });
    const shown1 = await killReceiving(bob, first, random);
    expect(shown1.length, 'nothing shown twice').toBe(new Set(shown1).size);
    expect(sessions(bob, 'alice').all).toBeGreaterThan(0);

    // bob answers (his receipts already did): alice's session is answered, her next envelopes carry no initiation.
    expect((await chat(['send', 'alice', 'got them'], { home: bob })).code).toBe(0);
    expect((await recv(alice)).map((l) => l.body)).toEqual(['got them']);
    expect(sessions(alice, 'bob').unanswered).toBe(0);
    const second = await engineSend(
      alice,
      'bob',
      Array.from({ length: MESSAGES }, (_, i) => `in session ${i}`),
    );
    const shown2 = await killReceiving(bob, second, random);
    const all = [...shown1, ...shown2];
    expect(all.length, 'nothing shown twice').toBe(new Set(all).size);
    await continues({ home: alice, name: 'alice' }, { home: bob, name: 'bob' });
  });

  it('chat send killed at seeded moments, on first contact and in an answered session', async () => {
    const random = seeded(SEED + 1);
    await start();
    const alice = await newUser(tmp.dir, 'carol', relay!);
    const bob = await newUser(tmp.dir, 'dave', relay!);
    const [to, back] = ['dave', 'carol'];
    // How long one `chat send` takes here, on first contact (to a third user): where the kill moments are spread.
    await newUser(tmp.dir, 'erin', relay!);
    const t0 = performance.now();
    expect((await chat(['send', 'erin', 'timing'], { home: alice })).code).toBe(0);
    const span = performance.now() - t0;

    /**
     * `n` sends of alice's, each SIGKILLed after a seeded pause in [0.5, 1.5) × span (most of a run is starting node
     * and connecting; its later part queues, seals and sends). Returns the bodies whose `chat send` exited 0.
     */
    const killedSends = async (tag: string, n: number): Promise<Set<string>> => {
      const answered = new Set<string>();
      for (let i = 0; i < n; i++) {
        const body = `${tag} ${i}`;
        const proc = spawn(process.execPath, [CHAT_BIN, 'send', to, body], {
          env: env(alice),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
        await Promise.race([sleep((0.5 + random()) * span), exited]);
        proc.kill('SIGKILL');
        if ((await exited) === 0) answered.add(body);
      }
      return answered;
    };
    /** Alice's outbox goes out (a one-shot recv sends it), then bob receives: each queued message exactly once. */
    const settle = async (answered: Set<string>, shownSoFar: string[]): Promise<string[]> => {
      await recv(alice);
      const shown = [...shownSoFar, ...(await recv(bob)).map((l) => l.body!)];
      const queued = ids(join(alice, 'chat.db'), `SELECT id FROM messages WHERE direction = 'out' AND peer = '${to}'`);
      const bobs = ids(join(bob, 'chat.db'), "SELECT id FROM messages WHERE direction = 'in'");
      expect(bobs, 'every message alice queued reached bob').toEqual(queued);
      expect(shown.length, 'nothing shown twice').toBe(new Set(shown).size);
      for (const body of answered) expect(shown, `${body} (chat send exited 0)`).toContain(body);
      delivered = bobs.size;
      return shown;
    };

    let delivered = 0;
    const answered1 = await killedSends('first contact', ROUNDS);
    const shown1 = await settle(answered1, []);
    expect(sessions(bob, back).all).toBeGreaterThan(0);
    expect((await chat(['send', back, 'answered'], { home: bob })).code).toBe(0);
    expect((await recv(alice)).map((l) => l.body)).toEqual(['answered']);
    const answered2 = await killedSends('in session', ROUNDS);
    await settle(answered2, shown1);
    console.log(
      `[crash] v2 sending, seed ${SEED}: ${2 * ROUNDS} chat sends SIGKILLed or done (span ${Math.round(span)} ms), ${answered1.size + answered2.size} exited 0, ${delivered} queued and delivered (the rest killed before queueing)`,
    );
    await continues({ home: alice, name: back }, { home: bob, name: to });
  });
});
