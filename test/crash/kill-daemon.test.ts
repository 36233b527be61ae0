/**
 * Crash safety of `chat daemon` (issue 16): the real daemon is SIGKILLed at seeded points placed by its own output
 * (the k-th message it shows a client, the k-th `send` it answers), never by a clock.
 *
 * - Mid-receive: after every kill each message is in the relay's mailbox or in bob's history (acknowledged only once
 *   committed, §9), and across all the daemons' lives no message is shown to a client twice (a message committed
 *   but not acknowledged before a kill comes again and is acknowledged silently).
 * - Mid-send: every `send` the daemon answered, and every one it had queued when killed, reaches alice exactly once
 *   after the next daemon starts (the outbox is durable; a resent envelope is a duplicate alice drops), in v2
 *   sessions started on the first round (§24), with no rejected envelope.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { MessageKind, generateIdentity, randomMessageId, sealEnvelope, toHex, utf8 } from '@chat/crypto';
import { RawClient } from '../helpers/raw-client.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { CHAT_BIN, chat, newUser, startChat } from '../e2e/harness.js';
import { seeded, testSeed } from '../fixtures/random.js';
import { ids } from './db-ids.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const MESSAGES = Number(process.env.CRASH_DAEMON_MESSAGES ?? '2000');
const ROUNDS = 6;
/** Each receiving round is killed after a seeded 1..this many messages shown. */
const KILL_AFTER_SHOWN = 100;
/** Each sending round asks for this many sends at once and is killed after a seeded 1..this many answers. */
const SENDS_PER_ROUND = 60;
const SEED = testSeed('CRASH_SEED');
const tmp = tempDir('kill-daemon');
let relay: InProcessRelay | undefined;
afterAll(async () => {
  await relay?.stop();
  tmp.cleanup();
});

/** `chat daemon --json` for `home`, connected to once it prints `ready` (by default: once it listens). */
async function daemon(home: string, ready = '"event":"listening"') {
  const proc = spawn(process.execPath, [CHAT_BIN, 'daemon', '--json'], {
    env: { PATH: process.env.PATH ?? '', HOME: home, CHAT_HOME: home, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes(ready)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`chat daemon exited ${code}: ${err}`)));
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const rpc = await RpcClient.connect(join(home, 'daemon.sock'));
  return {
    rpc,
    stderr: () => err,
    async kill(): Promise<void> {
      proc.kill('SIGKILL');
      await exited;
      rpc.socket.destroy();
    },
  };
}

const limits = {
  messagesPerSecond: 100_000,
  messagesBurst: 100_000,
  envelopesPerSecond: 100_000,
  envelopesBurst: 100_000,
  mailboxSenderMaxMessages: 100_000,
  mailboxAddressMaxMessages: 100_000,
};

describe('chat daemon SIGKILLed', () => {
  it(`mid-receive: loses nothing, shows nothing twice (${MESSAGES} messages)`, async () => {
    const random = seeded(SEED);
    let stderr = '';
    onTestFailed(() => console.error(`[crash] seed ${SEED}; stderr of the last daemon:\n${stderr}`));
    relay = await relayInProcess(join(tmp.dir, 'relay'), { limits });
    const bob = await newUser(tmp.dir, 'bob', relay);
    const alice = generateIdentity();
    const c = await RawClient.connect(relay.port);
    expect(await c.login('alice', alice, 'send')).toMatchObject({ t: 'welcome' });
    c.send({ t: 'lookup', rid: 1, user: 'bob' });
    const bundle = await c.nextOfType('bundle');
    const sent = new Set<string>();
    for (let i = 0; i < MESSAGES; i++) {
      const id = randomMessageId();
      const body = utf8(`message ${i}`);
      const env = sealEnvelope(
        { kind: MessageKind.text, from: 'alice', to: 'bob', id, ts: Date.now(), body },
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
    /** Every message a client was shown, in order, across every daemon's life. */
    const shown: string[] = [];
    let kills = 0;
    let midReceive = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const done = round === 0 ? new Set<string>() : history();
      const fresh = [...mailbox()].filter((id) => !done.has(id)).length;
      if (fresh === 0) break;
      const k = 1 + Math.floor(random() * Math.min(KILL_AFTER_SHOWN, fresh));
      const d = await daemon(bob);
      // Shown = notified to the subscriber, or handed to `receive` if it arrived before the subscription took.
      let count = 0;
      let killed: Promise<void> | undefined;
      const show = (id: string): void => {
        shown.push(id);
        if (++count >= k && !killed) killed = d.kill();
      };
      d.rpc.socket.on('data', () => {
        for (const n of d.rpc.notifications.splice(0)) if (n.method === 'message') show(n.params.id as string);
      });
      // Notifications may reach the k-th message, and kill the daemon, before either answer comes: the call then
      // gets rpc-client's CONNECTION_CLOSED answer (it waited forever before, and the test timed out at 600 s).
      const subscribed = await d.rpc.call('subscribe');
      if (!killed) {
        expect(subscribed.result).toEqual({ subscribed: true });
        const pending = await d.rpc.call('receive');
        for (const m of (pending.result as { messages: { id: string }[] } | undefined)?.messages ?? []) show(m.id);
      }
      // The k-th message always comes: the daemon shows every fresh one, and k ≤ fresh.
      await new Promise<void>((resolve) => {
        const check = (): void => (killed ? void killed.then(resolve) : undefined);
        d.rpc.socket.on('data', check);
        d.rpc.socket.on('close', check);
        check();
      });
      stderr = d.stderr();
      kills++;
      const [inMailbox, inHistory] = [mailbox(), history()];
      if (inMailbox.size > 0 && inHistory.size > 0) midReceive++;
      expect(
        [...sent].filter((id) => !inMailbox.has(id) && !inHistory.has(id)),
        `after kill ${kills}`,
      ).toEqual([]);
    }
    // The rest without a daemon, as `chat recv` drains it when none runs.
    const last = await chat(['recv', '--json'], { home: bob });
    expect(last.code).toBe(0);
    for (const line of last.stdout.split('\n').filter(Boolean)) shown.push((JSON.parse(line) as { id: string }).id);
    console.log(
      `[crash] daemon receiving, seed ${SEED}: ${kills} SIGKILLs (${midReceive} mid-drain), ${MESSAGES} messages, ${shown.length} shown, ${new Set(shown).size} distinct`,
    );
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(midReceive).toBeGreaterThanOrEqual(1);
    expect(shown.length).toBe(new Set(shown).size); // nothing twice
    expect(history()).toEqual(sent); // nothing lost
    expect(mailbox().size).toBe(0);
  });

  it('mid-send: every answered or queued send reaches the recipient exactly once', async () => {
    const random = seeded(SEED + 1);
    relay ??= await relayInProcess(join(tmp.dir, 'relay'), { limits });
    const alice = await newUser(tmp.dir, 'carol', relay);
    const bob = await newUser(tmp.dir, 'dave', relay);
    const follow = startChat(['recv', '--follow', '--json'], { home: alice });
    try {
      const answered = new Set<string>();
      let kills = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // Online first: sends that come before the live session each open a session of their own (a relay allows 32).
        const d = await daemon(bob, '"state":"online"');
        const k = 1 + Math.floor(random() * SENDS_PER_ROUND);
        let count = 0;
        let killed: Promise<void> | undefined;
        const calls = Array.from({ length: SENDS_PER_ROUND }, (_, i) =>
          d.rpc.call('send', { recipient: 'carol', message: `round ${round} message ${i}` }).then((r) => {
            if (killed) return;
            expect(r.error, JSON.stringify(r.error)).toBeUndefined();
            answered.add((r.result as { id: string }).id);
            if (++count >= k) killed = d.kill();
          }),
        );
        // Answers stop coming once it is killed: wait for the kill itself, reached by the k-th answer (k ≤ all).
        await new Promise<void>((resolve, reject) => {
          for (const call of calls) call.then(() => killed?.then(resolve), reject);
        });
        kills++;
      }
      const historyDb = join(bob, 'chat.db');
      const accepted = ids(historyDb, "SELECT id FROM messages WHERE direction = 'out'");
      for (const id of answered) expect(accepted.has(id), id).toBe(true);
      // The next daemon sends what the killed ones had queued (the durable outbox); alice's recv shows each once.
      const d = await daemon(bob);
      try {
        const seen = () =>
          follow
            .stdout()
            .split('\n')
            .filter((l) => l.includes('"type":"message"'))
            .map((l) => (JSON.parse(l) as { id: string }).id);
        // Resolves once alice's output names every accepted id (a lookahead each), as it arrives.
        await follow.waitFor(new RegExp(`^${[...accepted].map((id) => `(?=[\\s\\S]*${id})`).join('')}`));
        console.log(
          `[crash] daemon sending, seed ${SEED}: ${kills} SIGKILLs, ${answered.size} answered, ${accepted.size} accepted, ${seen().length} shown to alice`,
        );
        expect(seen().length).toBe(new Set(seen()).size); // nothing twice
        expect(new Set(seen())).toEqual(accepted); // nothing lost
        // In v2 sessions (§24), started on the first round's first contact: no decryption failure either.
        expect(follow.stdout()).not.toContain('"type":"rejected"');
        expect(follow.stderr()).not.toContain('rejected');
        expect(ids(join(alice, 'chat.db'), "SELECT peer FROM v2_sessions WHERE peer = 'dave'").size).toBe(1);
      } finally {
        await d.kill();
      }
    } finally {
      follow.proc.kill('SIGTERM');
      await follow.exit;
    }
  });
});
