/**
 * Crash safety of the receiving client (PROTOCOL.md §9): the real `chat recv --follow` is SIGKILLed at seeded
 * points of its output while it drains a mailbox of real sealed messages. After every kill, each message is still in the relay's
 * mailbox or already in the client's history — never neither (the client acknowledges only what it committed). A
 * final `chat recv` drains the rest; the history then holds every message exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it, onTestFailed } from 'vitest';
import { MessageKind, generateIdentity, randomMessageId, sealEnvelope, toHex, utf8 } from '@chat/crypto';
import { RawClient } from '../helpers/raw-client.js';
import { CHAT_BIN, TEST_PASSPHRASE, chat, newUser } from '../e2e/harness.js';
import { seeded, testSeed } from '../fixtures/random.js';
import { ids } from './db-ids.js';
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
  /** The running `chat recv`'s stderr, shown if the test fails (a hang ends in the suite's timeout). */
  let stderr = '';
  onTestFailed(() => {
    console.error(`[crash] seed ${SEED}; stderr of the last chat recv:\n${stderr}`);
  });
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
  let kills = 0;
  let midReceive = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // What this round will print: envelopes still waiting that are not in the history yet. (Those committed but not
    // acknowledged before the last kill come again and are acknowledged silently, as duplicates.)
    const committed = existsSync(historyDb)
      ? ids(historyDb, "SELECT id FROM messages WHERE direction = 'in'")
      : new Set<string>();
    const fresh = [...ids(relayDb, "SELECT id FROM envelopes WHERE recipient = 'bob'")].filter(
      (id) => !committed.has(id),
    ).length;
    if (fresh === 0) break;
    // The kill is placed by the client's own output, not by a clock: after its k-th message line (k seeded, at most
    // what it will print), so it lands while the drain runs however busy the machine is. The client commits a batch
    // before printing it and is then already checking the next one.
    const k = 1 + Math.floor(random() * Math.min(KILL_AFTER_LINES, fresh));
    const proc = spawn(process.execPath, [CHAT_BIN, 'recv', '--follow', '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: bob, CHAT_HOME: bob, TZ: 'UTC', CHAT_PASSPHRASE: TEST_PASSPHRASE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const outcome = await new Promise<'killed' | 'exited'>((resolve) => {
      let lines = 0;
      proc.stdout.on('data', (d: Buffer) => {
        for (const byte of d) if (byte === 0x0a) lines++;
        if (lines >= k && proc.kill('SIGKILL')) resolve('killed');
      });
      proc.once('exit', () => resolve('exited'));
    });
    // `chat recv --follow` never ends on its own while the relay serves it: an exit is a failure, with its reason.
    expect(outcome, `round ${round}: chat recv exited before its ${k}th line; stderr: ${stderr}`).toBe('killed');
    if (proc.exitCode === null && proc.signalCode === null) await new Promise((r) => proc.once('exit', r));
    kills++;
    const mailbox = ids(relayDb, "SELECT id FROM envelopes WHERE recipient = 'bob'");
    const history = ids(historyDb, "SELECT id FROM messages WHERE direction = 'in'");
    if (mailbox.size > 0 && history.size > 0) midReceive++;
    const lost = [...sent].filter((id) => !mailbox.has(id) && !history.has(id));
    expect(lost, `after kill ${kills}`).toEqual([]);
  }
  // Drain the rest normally.
  const last = await chat(['recv', '--json'], { home: bob });
  expect(last.code).toBe(0);
  const history = ids(historyDb, "SELECT id FROM messages WHERE direction = 'in'");
  console.log(
    `[crash] client, seed ${SEED}: ${kills} SIGKILLs of chat recv (${midReceive} mid-drain), ${MESSAGES} messages, ${history.size} in history, ${[...sent].filter((id) => !history.has(id)).length} lost`,
  );
  expect(kills).toBeGreaterThanOrEqual(3);
  expect(midReceive).toBeGreaterThanOrEqual(2);
  expect(history).toEqual(sent);
  expect(ids(relayDb, "SELECT id FROM envelopes WHERE recipient = 'bob'").size).toBe(0);
});
