// The offline drain with protocol v2 envelopes (issue 13's "10,000-message drain", issue 15's 50,000): a recipient
// with `count` v2 envelopes waiting, all from one sender in one Double Ratchet session that is past its initiation
// (the sender's first message was answered), logs in through the client engine and receives them all. The timed
// receive runs in a fresh Node process (drain-child.mjs), as a `chat recv` does: in this one, the set-up has already
// run (and the JIT compiled) the same engine code on other inputs, which made the drain 0.1-0.3 s faster than a new
// process's (docs/BENCHMARKS.md). CHAT_BENCH_DRAIN_INPROC=1 times it here, as this benchmark did before 2026-12-07.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MessageKind,
  deserializeRatchetState,
  randomMessageId,
  ratchetDecryptInPlace,
  wipeRatchetState,
} from '@chat/crypto';
import { login } from '../../packages/cli/dist/engine/account.js';
import { Messenger } from '../../packages/cli/dist/engine/messenger.js';
import { Profile } from '../../packages/cli/dist/engine/profile.js';
import { Store } from '../../packages/cli/dist/engine/store/store.js';
import { unsealV2 } from '../../packages/cli/dist/engine/v2/open.js';
import { currentSession, sealInSession } from '../../packages/cli/dist/engine/v2/session.js';
import { DRAIN_RELAY_ENV } from './client.mjs';
import { cpuSeconds, tempDir } from './common.mjs';
import { applyWorkerEnv, timedDrain } from './drain-timed.mjs';
import { Conn, startOurRelay } from './ours.mjs';

applyWorkerEnv();

const CHILD = fileURLToPath(new URL('./drain-child.mjs', import.meta.url));
const CHAT_BIN = fileURLToPath(new URL('../../packages/cli/dist/bin/chat.js', import.meta.url));

const BODY = new TextEncoder().encode('a typical chat line, about sixty bytes long, for the benchmark');

/** A profile with keys stored without a passphrase, logged in (prekeys published). */
async function user(dir, name, address) {
  const profile = new Profile(join(dir, name));
  const { generateIdentity } = await import('@chat/crypto');
  profile.saveIdentity(generateIdentity());
  await login(profile, name, address);
  return profile;
}

/** One message from `from` to `to` through the real engine, then `to` receives it (and so answers a session). */
async function exchange(from, to, toName) {
  const a = await Messenger.open(from);
  try {
    await a.sendMessage(toName, 'hello');
  } finally {
    a.close();
  }
  const b = await Messenger.open(to);
  try {
    await b.receive({ follow: false });
  } finally {
    b.close();
  }
}

/**
 * Seconds from `Messenger.open` to `receive()` returning for `count` v2 envelopes (unseal, ratchet decrypt, commit to
 * the SQLite history with the session state, ack, receipts queued); what the relay still holds afterwards (expected
 * 0); the CPU time of this process (the engine) and of the relay over the drain, per message.
 */
export async function drainV2(count) {
  const relay = await startOurRelay(DRAIN_RELAY_ENV);
  const tmp = tempDir('drain-v2');
  try {
    const address = { host: '127.0.0.1', port: relay.port, fingerprint: relay.fingerprint };
    const bob = await user(tmp.dir, 'drainbob', address);
    const alice = await user(tmp.dir, 'drainalice', address);
    await exchange(alice, bob, 'drainbob'); // alice's first contact: PQXDH
    await exchange(bob, alice, 'drainalice'); // bob answers: alice's session no longer carries the initiation
    // The envelopes alice's engine would make, sealed in her session (session.ts, as the outbox does) and sent with
    // the raw client, so setting up 50,000 takes seconds rather than one engine send each.
    const keys = await alice.unlockKeys(undefined);
    const store = Store.open(alice.dbPath, keys.storageKey);
    const me = { username: 'drainalice', identity: keys.identity, store };
    const contact = store.contacts.get('drainbob');
    const session = currentSession(me, contact);
    if (!session || session.initiation !== null) throw new Error('no answered session with drainbob');
    const envelopes = [];
    for (let i = 0; i < count; i += 256) {
      store.transaction(() => {
        for (let k = i; k < Math.min(count, i + 256); k++) {
          const id = randomMessageId();
          const env = sealInSession(me, session, contact, { kind: MessageKind.text, id, ts: Date.now(), body: BODY });
          envelopes.push([id, env]);
        }
      });
    }
    store.close();
    const floor = await cryptoFloor(bob, envelopes);
    const sender = await Conn.login(relay.port, 'drainalice', keys.identity, 'send');
    for (let i = 0; i < count; i += 256) {
      await Promise.all(envelopes.slice(i, i + 256).map(([id, env]) => sender.send('drainbob', id, env)));
    }
    sender.close();

    const relayCpu0 = cpuSeconds(relay.pid);
    const timed =
      process.env.CHAT_BENCH_DRAIN_INPROC === '1'
        ? await timedDrain(bob, 'drain-v2')
        : process.env.CHAT_BENCH_DRAIN_BIN === '1'
          ? await drainWithBinary(bob)
          : await drainInChild(bob);
    const relayCpu1 = cpuSeconds(relay.pid);
    const got = timed.received;
    const left = await leftOnRelay(relay.port, 'drainbob', (await bob.unlockKeys(undefined)).identity);
    return {
      seconds: timed.seconds,
      received: got,
      leftOnRelay: left,
      clientCpuUsPerMessage: timed.cpuUs / got,
      mainThreadCpuUsPerMessage: timed.mainCpuUs === undefined ? undefined : timed.mainCpuUs / got,
      cryptoFloorUsPerMessage: floor,
      relayCpuUsPerMessage:
        relayCpu0 === undefined || relayCpu1 === undefined ? undefined : ((relayCpu1 - relayCpu0) * 1e6) / got,
    };
  } finally {
    await relay.stop();
    tmp.cleanup();
  }
}

/**
 * The timed drain in a fresh process of its own (drain-child.mjs), as `chat recv` runs: nothing of this process's
 * set-up (which sealed every envelope with the same engine code) shapes the child's JIT state.
 */
async function drainInChild(profile) {
  return JSON.parse((await runNode([CHILD, profile.home])).out);
}

/**
 * `chat recv --json` itself (CHAT_BENCH_DRAIN_BIN=1): the built binary, from its spawn to its exit, Node's start-up,
 * the bundle's load and the printing of every message included (one JSON line each, counted). Wall time only: the
 * binary's CPU is not measured here.
 */
async function drainWithBinary(profile) {
  const { out, seconds } = await runNode([CHAT_BIN, 'recv', '--json'], {
    CHAT_HOME: profile.home,
    CHAT_NO_DAEMON: '1',
  });
  // One JSON object per line; messages are `"type":"message"` (other events, such as a receipt for an earlier send of
  // ours, are not counted).
  const received = out.split('\n').filter((line) => line !== '' && JSON.parse(line).type === 'message').length;
  return { seconds, received, cpuUs: Number.NaN, mainCpuUs: undefined };
}

/** `node <args>` with `env` added to ours: its standard output, and the seconds from its spawn to its exit. */
async function runNode(args, env = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
  });
  const [code] = await once(child, 'exit');
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}`);
  return { out, seconds };
}

/**
 * The cryptography alone of receiving `envelopes`, CPU µs per message on this thread: the sealed box opened (X25519,
 * XSalsa20-Poly1305, §24.3 steps 1–3, `unsealV2`) and the ratchet message decrypted (HMAC chain step, HKDF, AEAD,
 * §20), in order, in a copy of the recipient's session; no SQLite, no network. What the wire format costs whatever
 * the engine does around it.
 */
async function cryptoFloor(profile, envelopes) {
  const keys = await profile.unlockKeys(undefined);
  const store = Store.open(profile.dbPath, keys.storageKey);
  const me = { username: 'drainbob', identity: keys.identity, store };
  const state = deserializeRatchetState(store.v2.sessions('drainalice')[0].state);
  store.close();
  const cpu0 = process.cpuUsage();
  for (const [, env] of envelopes) {
    const inner = unsealV2(me, env);
    // As the engine's receive batch decrypts (v2/open.ts): in its own copy of the session, moved on in place.
    ratchetDecryptInPlace(state, inner.payload);
  }
  const cpu = process.cpuUsage(cpu0);
  wipeRatchetState(state);
  return (cpu.user + cpu.system) / envelopes.length;
}

/** Logs in as `user` in mode recv with the raw client and counts the envelopes delivered until `synced`. */
async function leftOnRelay(port, user, identity) {
  let left = 0;
  let synced;
  const done = new Promise((r) => {
    synced = r;
  });
  const check = await Conn.login(port, user, identity, 'recv', {
    onMsg: () => left++,
    onOther: (f) => f.t === 'synced' && synced(),
  });
  await done;
  check.close();
  return left;
}
