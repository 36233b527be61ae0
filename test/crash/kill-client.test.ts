/**
 * Crash safety of the receiving client (PROTOCOL.md §9): the real `chat recv --follow` is SIGKILLed at random
 * moments while it drains a mailbox of real sealed messages. After every kill, each message is still in the relay's
 * mailbox or already in the client's history — never neither (the client acknowledges only what it committed). A
 * final `chat recv` drains the rest; the history then holds every message exactly once.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { MessageKind, generateIdentity, randomMessageId, sealEnvelope, toHex, utf8 } from '@chat/crypto';
import { RawClient } from '../helpers/raw-client.js';
import { CHAT_BIN, TEST_PASSPHRASE, chat, newUser } from '../e2e/harness.js';
import { seeded, sleep, testSeed } from '../fixtures/random.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

// better-sqlite3 is the relay's and the client's dependency, not the root's: load it from the relay package.
interface Db {
  prepare(sql: string): { pluck(): { all(): unknown[] } };
  close(): void;
}
const Database = createRequire(join(CHAT_BIN, '../../../../relay/package.json'))('better-sqlite3') as new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => Db;

const MESSAGES = Number(process.env.CRASH_CLIENT_MESSAGES ?? '1500');
const SEED = testSeed('CRASH_SEED');
const tmp = tempDir('kill-client');
let relay: InProcessRelay | undefined;
afterAll(async () => {
  await relay?.stop();
  tmp.cleanup();
});

function ids(file: string, sql: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return new Set(
      (db.prepare(sql).pluck().all() as (string | Buffer)[]).map((v) =>
        typeof v === 'string' ? v : v.toString('hex'),
      ),
    );
  } finally {
    db.close();
  }
}

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
  let kills = 0;
  let midReceive = 0;
  for (let round = 0; round < 8; round++) {
    const before = ids(relayDb, "SELECT id FROM envelopes WHERE recipient = 'bob'").size;
    if (before === 0) break;
    const proc = spawn(process.execPath, [CHAT_BIN, 'recv', '--follow', '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: bob, CHAT_HOME: bob, TZ: 'UTC', CHAT_PASSPHRASE: TEST_PASSPHRASE },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = new Promise((r) => proc.once('exit', r));
    // Kill once it has printed something, after a random extra moment, so kills land in the middle of the drain.
    await new Promise<void>((resolve) => {
      proc.stdout.once('data', () => resolve());
      void exited.then(() => resolve());
    });
    await sleep(random() * 150);
    proc.kill('SIGKILL');
    await exited;
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
