// Scenarios of ours alone: login rate, offline drain through the real client engine, one-shot CLI wall time, fsync.
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageKind, generateIdentity, randomMessageId, sealEnvelope } from '@chat/crypto';
import { login } from '../../packages/cli/dist/engine/account.js';
import { Messenger } from '../../packages/cli/dist/engine/messenger.js';
import { Profile } from '../../packages/cli/dist/engine/profile.js';
import { Conn, startOurRelay } from './ours.mjs';
import { cpuSeconds, tempDir } from './common.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const CHAT_BIN = join(ROOT, 'packages/cli/dist/bin/chat.js');

/**
 * Authenticated handshakes per second: TLS 1.3 connect + hello + signed auth + welcome, `concurrency` at a time.
 * Also the relay's own CPU time per login (from /proc): the load generator shares the machine's cores with the relay,
 * so `1000 / relayCpuMs` is what one relay core could serve with the clients elsewhere.
 */
export async function loginRate(count, concurrency = 16) {
  const relay = await startOurRelay(relayEnv);
  try {
    const users = Array.from({ length: concurrency }, (_, i) => ({ name: `login${i}`, id: generateIdentity() }));
    for (const u of users) (await Conn.login(relay.port, u.name, u.id, 'send')).close(); // register first
    let left = count;
    const cpu0 = cpuSeconds(relay.pid);
    const t0 = performance.now();
    await Promise.all(
      users.map(async (u) => {
        while (left-- > 0) (await Conn.login(relay.port, u.name, u.id, 'send')).close();
      }),
    );
    const rate = count / ((performance.now() - t0) / 1000);
    const cpu1 = cpuSeconds(relay.pid);
    return { rate, relayCpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : ((cpu1 - cpu0) * 1000) / count };
  } finally {
    await relay.stop();
  }
}

// One sender's share of a mailbox, and the envelope and ack rates, are limited (§11): lifted for the one sender and
// the one recipient of a drain.
const BIG = String(2 ** 40);
export const DRAIN_RELAY_ENV = {
  CHAT_RELAY_MAILBOX_SENDER_MAX_MESSAGES: BIG,
  CHAT_RELAY_MAILBOX_SENDER_MAX_BYTES: BIG,
  CHAT_RELAY_MAILBOX_ADDRESS_MAX_MESSAGES: BIG,
  CHAT_RELAY_MAILBOX_ADDRESS_MAX_BYTES: BIG,
  CHAT_RELAY_ENVELOPES_PER_SECOND: BIG,
  CHAT_RELAY_ENVELOPES_BURST: BIG,
  CHAT_RELAY_ACKS_PER_SECOND: BIG,
  CHAT_RELAY_ACKS_BURST: BIG,
};

/**
 * A recipient with `count` real envelopes (sealed and signed by a registered sender) waiting logs in through the
 * client engine (Messenger.open + receive: open, verify, commit to SQLite history, ack). Returns the seconds from
 * Messenger.open to receive() returning, and how many envelopes the relay still held afterwards (expected 0).
 */
export async function drain(count, relayEnv = {}) {
  const relay = await startOurRelay({ ...DRAIN_RELAY_ENV, ...relayEnv });
  const tmp = tempDir('drain');
  try {
    const address = { host: '127.0.0.1', port: relay.port, fingerprint: relay.fingerprint };
    const me = generateIdentity();
    const profile = new Profile(join(tmp.dir, 'bob'));
    profile.saveIdentity(me);
    await login(profile, 'drainbob', address);
    const alice = generateIdentity();
    const sender = await Conn.login(relay.port, 'drainalice', alice, 'send');
    const body = new TextEncoder().encode('a typical chat line, about sixty bytes long, for the benchmark');
    for (let i = 0; i < count; i += 256) {
      const batch = [];
      for (let k = i; k < Math.min(count, i + 256); k++) {
        const id = randomMessageId();
        batch.push(
          sender.send(
            'drainbob',
            id,
            sealEnvelope(
              { kind: MessageKind.text, from: 'drainalice', to: 'drainbob', id, ts: Date.now(), body },
              alice.identity.secretKey,
              me.encryption.publicKey,
            ),
          ),
        );
      }
      await Promise.all(batch);
    }
    sender.close();
    const cpu0 = process.cpuUsage();
    const relayCpu0 = cpuSeconds(relay.pid);
    const t0 = performance.now();
    const m = await Messenger.open(profile);
    let got = 0;
    await m.receive({ follow: false, onMessage: () => got++ });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const relayCpu1 = cpuSeconds(relay.pid);
    m.close();
    await new Promise((r) => setTimeout(r, 300));
    // What is left on the relay: log in as recv with the raw client and count until `synced`.
    let left = 0;
    let synced;
    const done = new Promise((r) => {
      synced = r;
    });
    const check = await Conn.login(relay.port, 'drainbob', me, 'recv', {
      onMsg: () => left++,
      onOther: (f) => f.t === 'synced' && synced(),
    });
    await done;
    check.close();
    return {
      seconds,
      received: got,
      leftOnRelay: left,
      // This process is the engine (plus the idle raw client); the worker thread that verifies signatures counts too.
      clientCpuUsPerMessage: (cpu.user + cpu.system) / got,
      relayCpuUsPerMessage:
        relayCpu0 === undefined || relayCpu1 === undefined ? undefined : ((relayCpu1 - relayCpu0) * 1e6) / got,
    };
  } finally {
    await relay.stop();
    tmp.cleanup();
  }
}

/** Wall time of the built `chat send` and `chat recv` (passphrase-protected keys, TLS, pinned relay) via hyperfine. */
export async function oneShot(runs) {
  let hf;
  try {
    hf = execFileSync('sh', ['-c', 'command -v hyperfine']).toString().trim();
  } catch {
    /* below */
  }
  if (!hf && process.getuid?.() === 0 && process.env.BENCH_NO_INSTALL !== '1') {
    try {
      execFileSync('sh', ['-c', 'apt-get install -y hyperfine >/dev/null 2>&1'], { timeout: 180_000 });
      hf = 'hyperfine';
    } catch {
      /* below */
    }
  }
  if (!hf) return { skipped: 'hyperfine not installed (apt-get install -y hyperfine)' };
  const relay = await startOurRelay(relayEnv);
  const tmp = tempDir('oneshot');
  try {
    const env = (home) => ({
      PATH: process.env.PATH,
      HOME: home,
      CHAT_HOME: home,
      CHAT_PASSPHRASE: 'bench passphrase',
    });
    const chat = (home, ...args) =>
      execFileSync(process.execPath, [CHAT_BIN, ...args], { env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
    const alice = join(tmp.dir, 'alice');
    const bob = join(tmp.dir, 'bob');
    const carol = join(tmp.dir, 'carol');
    for (const [home, name] of [
      [alice, 'osalice'],
      [bob, 'osbob'],
    ]) {
      chat(home, 'keygen');
      chat(home, 'login', name, '--relay', relay.address);
    }
    // The same send from keys stored without a passphrase: what everything but the key-derivation function costs.
    chat(carol, 'keygen', '--no-passphrase');
    chat(carol, 'login', 'oscarol', '--relay', relay.address);
    const out = join(tmp.dir, 'hf.json');
    const q = (s) => `'${s}'`;
    const cmd = (home, args) =>
      `env -i PATH="$PATH" HOME=${q(home)} CHAT_HOME=${q(home)} CHAT_PASSPHRASE='bench passphrase' ${process.execPath} ${CHAT_BIN} ${args}`;
    execFileSync(
      hf,
      [
        '--warmup',
        '2',
        '--runs',
        String(runs),
        '-N',
        '--export-json',
        out,
        '-n',
        'chat send',
        cmd(alice, "send osbob 'hello from the benchmark'"),
        '-n',
        'chat recv',
        cmd(bob, 'recv'),
        '-n',
        'chat send, keys without passphrase',
        cmd(carol, "send osbob 'hello from the benchmark'"),
        // The floor under the first: Node's own start-up, and start-up plus the identity key's scrypt (N = 2^15, r = 8,
        // p = 1, docs/PROTOCOL.md) that a passphrase-protected `chat send` cannot skip.
        '-n',
        'node start-up alone (node -e 0)',
        `${process.execPath} -e 0`,
        '-n',
        'node start-up + scrypt N=2^15 r=8 p=1',
        `${process.execPath} -e "require('node:crypto').scryptSync('p', Buffer.alloc(16), 32, { N: 32768, r: 8, p: 1, maxmem: 67108864 })"`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const r = JSON.parse(readFileSync(out, 'utf8')).results;
    return Object.fromEntries(
      r.map((x) => [x.command, { medianMs: x.median * 1000, meanMs: x.mean * 1000, minMs: x.min * 1000 }]),
    );
  } finally {
    await relay.stop();
    tmp.cleanup();
  }
}

/** 256-byte write + fsync per second on the temp file system: the ceiling for one-commit-per-message storage. */
export function fsyncRate(seconds = 1) {
  const tmp = tempDir('fsync');
  const fd = openSync(join(tmp.dir, 'f'), 'w');
  const b = Buffer.alloc(256, 1);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    writeSync(fd, b);
    fsyncSync(fd);
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  closeSync(fd);
  tmp.cleanup();
  return rate;
}
