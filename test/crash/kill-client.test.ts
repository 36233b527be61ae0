/**
 * Crash safety of the receiving client (PROTOCOL.md §9): the real `chat recv --follow` is SIGKILLed at seeded
 * points of its output while it drains a mailbox of real sealed messages. After every kill, each message is still in the relay's
 * mailbox or already in the client's history — never neither (the client acknowledges only what it committed). A
 * final `chat recv` drains the rest; the history then holds every message exactly once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { MessageKind, generateIdentity, randomMessageId, sealEnvelope, toHex, utf8 } from '@chat/crypto';
import { RawClient } from '../helpers/raw-client.js';
import { TEST_PASSPHRASE, chat, newUser } from '../e2e/harness.js';
import { seeded, testSeed } from '../fixtures/random.js';
import { ids } from './db-ids.js';
import { killRecvRounds, noneLost } from './kill-loop.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const MESSAGES = Number(process.env.CRASH_CLIENT_MESSAGES ?? '3000');
/** Rounds of start-then-SIGKILL at most; the loop ends early once the mailbox is empty. */
const ROUNDS = 10;
/** Each round is killed after a seeded 1..this many message lines of output. */
const KILL_AFTER_LINES = 400;
const SEED = testSeed('CRASH_SEED');
const tmp = tempDir('kill-client');
let relay: InProcessRelay | undefined;
afterAll(async () => {
  await relay?.stop();
  tmp.cleanup();
});

it(`nothing acknowledged by a SIGKILLed chat recv is missing from its history (${MESSAGES} messages)`, async () => {
  const random = seeded(SEED);
  // The relay is not what is killed here: it runs in this process. bob's profile is prepared (no keygen, no scrypt).
  relay = await relayInProcess(join(tmp.dir, 'relay'), {
    limits: {
      messagesPerSecond: 100_000,
      messagesBurst: 100_000,
      envelopesPerSecond: 100_000,
      envelopesBurst: 100_000,
      mailboxSenderMaxMessages: 100_000,
      mailboxAddressMaxMessages: 100_000,
    },
  });
  const bob = await newUser(tmp.dir, 'bob', relay);

  // alice sends real sealed, signed envelopes through a raw connection.
  const alice = generateIdentity();
  const c = await RawClient.connect(relay.port);
  expect(await c.login('alice', alice, 'send')).toMatchObject({ t: 'welcome' });
  c.send({ t: 'lookup', rid: 1, user: 'bob' });
  const bundle = await c.nextOfType('bundle');
  const sent = new Set<string>();
  for (let i = 0; i < MESSAGES; i++) {
    const id = randomMessageId();
    const env = sealEnvelope(
      { kind: MessageKind.text, from: 'alice', to: 'bob', id, ts: Date.now(), body: utf8(`message ${i}`) },
      alice.identity.secretKey,
      bundle.encpk,
    );
    c.send({ t: 'send', rid: 100 + i, to: 'bob', id, env });
    sent.add(toHex(id));
  }
  for (let i = 0; i < MESSAGES; i++) await c.nextOfType('sent');
  c.close();

  const relayDb = join(relay.dataDir, 'relay.db');
  const historyDb = join(bob, 'chat.db');
  const mailbox = () => ids(relayDb, "SELECT id FROM envelopes WHERE recipient = 'bob'");
  const history = () => ids(historyDb, "SELECT id FROM messages WHERE direction = 'in'");
  let midReceive = 0;
  const kills = await killRecvRounds({
    env: { PATH: process.env.PATH ?? '', HOME: bob, CHAT_HOME: bob, TZ: 'UTC', CHAT_PASSPHRASE: TEST_PASSPHRASE },
    rounds: ROUNDS,
    maxLines: KILL_AFTER_LINES,
    random,
    seed: SEED,
    // What a round will print: envelopes still waiting that are not in the history yet. (Those committed but not
    // acknowledged before the last kill come again and are acknowledged silently, as duplicates.)
    fresh: () => {
      const committed = existsSync(historyDb) ? history() : new Set<string>();
      return [...mailbox()].filter((id) => !committed.has(id)).length;
    },
    afterKill: (_, kill) => {
      if (noneLost(sent, mailbox(), history(), `after kill ${kill}`)) midReceive++;
    },
  });
  // Drain the rest normally.
  const last = await chat(['recv', '--json'], { home: bob });
  expect(last.code).toBe(0);
  const drained = history();
  console.log(
    `[crash] client, seed ${SEED}: ${kills} SIGKILLs of chat recv (${midReceive} mid-drain), ${MESSAGES} messages, ${drained.size} in history, ${[...sent].filter((id) => !drained.has(id)).length} lost`,
  );
  expect(kills).toBeGreaterThanOrEqual(3);
  expect(midReceive).toBeGreaterThanOrEqual(2);
  expect(drained).toEqual(sent);
  expect(mailbox().size).toBe(0);
});
