#!/usr/bin/env node
// Start-up of one-shot `chat` commands (issues 12 and 15): what a `chat history`, `chat search`, `chat contacts`,
// `chat whoami` or `chat --version` costs beyond `node -e 0`, on a profile with a long history. No relay: the profile
// is made in this process (keys stored without a passphrase, a config as `chat login` writes it, n messages from one
// contact, the oldest saying "needle"), and these commands read only files. Usage (after npm run build):
//   node scripts/bench/startup.mjs [n=50000] [runs=15] [other-chat.js...]
// With CHAT_BENCH_RELAY=1 it also starts the built relay and measures the commands that talk to it, on profiles made
// by `chat keygen --no-passphrase` + `chat login` (CHAT_NO_DAEMON=1): `chat send bob <text>` (alice, an existing v2
// session), `chat recv` with nothing waiting (carol) and with 3 messages waiting (bob: this round's timed send plus
// two untimed ones), `chat contacts --json` and `chat history alice --json` on bob's small profile, and a usage error
// (`chat send` with no recipient, exit 2, which yargs answers).
// Every run executes each case once, in rotation (interleaved, so load from other work hits all cases alike), under
// /usr/bin/time; the table gives the median wall time and the median CPU time (user + system) per case. Extra
// arguments are other builds of the binary (e.g. a copy of packages/cli/dist from an older commit, placed at the same
// depth so that it finds node_modules), measured in the same rotation.
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity } from '@chat/crypto';
import { Profile } from '../../packages/cli/dist/engine/profile.js';
import { Store } from '../../packages/cli/dist/engine/store/store.js';
import { fmt, machine, median, tempDir } from './common.mjs';
import { body, seeded } from './history-bodies.mjs';
import { startOurRelay } from './ours.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const [nArg, runsArg, ...others] = process.argv.slice(2);
const N = Number(nArg ?? 50_000);
const RUNS = Number(runsArg ?? 15);
const BINS = [join(ROOT, 'packages/cli/dist/bin/chat.js'), ...others.map((b) => resolve(b))];

/**
 * A profile with `n` messages with alice (every fifth one ours), one second apart, the bodies of long-history.mjs;
 * the oldest says "needle". chat.db is encrypted under the profile's storage key (PROTOCOL.md §13.3).
 */
async function makeProfile(home, n) {
  const profile = new Profile(home);
  profile.saveIdentity(generateIdentity());
  profile.saveConfig({ version: 1, username: 'bob', relay: '127.0.0.1:7717', relayId: '01'.repeat(32) });
  const store = Store.open(profile.dbPath, (await profile.unlockKeys(undefined)).storageKey);
  const rnd = seeded(15);
  const start = Date.now() - n * 1000;
  store.transaction(() => {
    for (let i = 0; i < n; i++) {
      const out = i % 5 === 4;
      const ts = start + i * 1000;
      store.messages.add({
        id: `${i.toString(16).padStart(8, '0')}${'0'.repeat(24)}`,
        peer: 'alice',
        direction: out ? 'out' : 'in',
        body: i === 0 ? 'the needle in the oldest message' : body(rnd, i),
        ts,
        relayTs: ts,
        receivedAt: ts,
        state: out ? 'read' : null,
      });
    }
  });
  store.close();
}

/** Wall and CPU (user + system) ms of one process, from /usr/bin/time. */
function timed(argv, env, status = 0) {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', process.execPath, ...argv], { env, encoding: 'utf8' });
  if (r.status !== status) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [wall, user, sys] = /TIME (\S+) (\S+) (\S+)\s*$/.exec(r.stderr).slice(1).map(Number);
  return { wall: wall * 1000, cpu: (user + sys) * 1000 };
}

const COMMANDS = [['history', 'alice', '--limit', '50'], ['search', 'needle'], ['contacts'], ['whoami'], ['--version']];
const WITH_RELAY = process.env.CHAT_BENCH_RELAY === '1';
const tmp = tempDir('startup');
const relay = WITH_RELAY ? await startOurRelay() : undefined;
try {
  const home = join(tmp.dir, 'bob');
  await makeProfile(home, N);
  const env = { PATH: process.env.PATH, HOME: home, CHAT_HOME: home, TZ: 'UTC' };
  const cases = [{ name: 'node -e 0', argv: ['-e', '0'], env }];
  for (const [b, bin] of BINS.entries())
    for (const c of COMMANDS)
      cases.push({ name: `chat ${c.join(' ')}${BINS.length > 1 ? ` [${b}]` : ''}`, argv: [bin, ...c], env });
  if (relay) cases.push(...(await relayCases(relay)));
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (let run = 0; run < RUNS + 1; run++)
    for (const c of cases) {
      c.before?.();
      const t = timed(c.argv, c.env, c.status);
      if (run > 0) samples.get(c.name).push(t); // the first round warms the page cache
    }
  console.log(JSON.stringify(machine()));
  for (const [b, bin] of BINS.entries()) console.log(`[${b}] ${bin}`);
  const node = samples.get('node -e 0');
  const [nodeWall, nodeCpu] = [median(node.map((t) => t.wall)), median(node.map((t) => t.cpu))];
  console.log(`${N} messages, median of ${RUNS} interleaved runs (wall ms, beyond node -e 0; CPU ms, beyond it):`);
  for (const [name, ts] of samples) {
    const [wall, cpu] = [median(ts.map((t) => t.wall)), median(ts.map((t) => t.cpu))];
    const beyond = name === 'node -e 0' ? '' : ` (+${fmt(wall - nodeWall)}); CPU ${fmt(cpu)} (+${fmt(cpu - nodeCpu)})`;
    console.log(`  ${name}: wall ${fmt(wall)}${beyond}${name === 'node -e 0' ? `; CPU ${fmt(cpu)}` : ''}`);
  }
} finally {
  await relay?.stop();
  tmp.cleanup();
}

/**
 * The cases that talk to the relay, per build: alice and bob in an existing v2 session (one message each way, made
 * with the first build), carol with nothing ever sent to her.
 */
async function relayCases(relay) {
  const envOf = (name) => {
    const h = join(tmp.dir, `r-${name}`);
    return { PATH: process.env.PATH, HOME: h, CHAT_HOME: h, TZ: 'UTC', CHAT_NO_DAEMON: '1' };
  };
  const setup = (name, args) =>
    execFileSync(process.execPath, [BINS[0], ...args], { env: envOf(name), stdio: ['ignore', 'pipe', 'pipe'] });
  for (const name of ['alice', 'bob', 'carol']) {
    setup(name, ['keygen', '--no-passphrase']);
    setup(name, ['login', `s${name}`, '--relay', relay.address]);
  }
  setup('alice', ['send', 'sbob', 'hello']);
  setup('bob', ['recv']);
  setup('bob', ['send', 'salice', 'hi']);
  setup('alice', ['recv']);
  const cases = [];
  for (const [b, bin] of BINS.entries()) {
    const tag = BINS.length > 1 ? ` [${b}]` : '';
    const add = (name, user, args, more = {}) =>
      cases.push({ name: `${name}${tag}`, argv: [bin, ...args], env: envOf(user), ...more });
    add('chat send sbob <text> (v2 session)', 'alice', ['send', 'sbob', 'build done']);
    add('chat recv, nothing waiting', 'carol', ['recv']);
    add('chat recv, 3 waiting', 'bob', ['recv'], {
      before: () => {
        setup('alice', ['send', 'sbob', 'one more']);
        setup('alice', ['send', 'sbob', 'and another']);
      },
    });
    add('chat contacts --json (1 contact)', 'bob', ['contacts', '--json']);
    add('chat history salice --json (a few)', 'bob', ['history', 'salice', '--json', '--limit', '5']);
    add('chat send (usage error, yargs)', 'bob', ['send'], { status: 2 });
  }
  return cases;
}
