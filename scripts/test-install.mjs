// npm run test:install: packs the tarball (packages/cli/scripts/pack.mjs), installs it with `npm install -g` into a
// temporary prefix, and uses the installed commands the way a new user would, from a directory outside this
// checkout and with a PATH that reaches nothing of it: versions, a relay on a free port, two profiles, a message.
// The npm dependencies come from the registry (better-sqlite3-multiple-ciphers compiles from source where no prebuilt binary fits;
// set npm_config_nodedir=/usr where node-gyp cannot download Node's headers). Run after `npm run build`.
// Prints one result line, "install test: ok ..." or "install test: FAILED ...", and exits 1 on failure.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const version = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8')).version;
const relayVersion = JSON.parse(readFileSync(join(root, 'packages/relay/package.json'), 'utf8')).version;
const tmp = mkdtempSync(join(tmpdir(), 'chat-install-'));
const prefix = join(tmp, 'prefix');
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
let relay;

/** Runs `cmd args` in the temp dir with the installed commands first on PATH; returns stdout, throws on failure. */
function run(cmd, args, env = {}, input = '') {
  const bin = join(prefix, 'bin');
  try {
    return execFileSync(cmd, args, {
      cwd: tmp,
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: `${bin}:${dirnameOfNode()}:/usr/bin:/bin`, HOME: tmp, TZ: 'UTC', ...env },
    });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${err.status}: ${err.stderr || err.message}`);
  }
}

/** Node's own directory: the installed commands start with `#!/usr/bin/env node`. */
function dirnameOfNode() {
  return join(process.execPath, '..');
}

function expectEqual(what, got, want) {
  if (got !== want) throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** Starts the installed chat-relay on a free port; resolves with its chat:// address once it listens. */
function startRelay() {
  const proc = spawn(join(prefix, 'bin/chat-relay'), ['--port', '0', '--data', join(tmp, 'relay'), '--quiet'], {
    cwd: tmp,
    env: { PATH: `${dirnameOfNode()}:/usr/bin:/bin`, HOME: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  relay = proc;
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const address = /^chat-relay address (chat:\/\/\S+)$/m.exec(out);
      if (address && /listening on/.test(out)) resolve(address[1]);
    });
    proc.once('exit', (code) => reject(new Error(`chat-relay exited (${code}) before listening: ${out}${err}`)));
  });
}

async function main() {
  let t = performance.now();
  const tarball = execFileSync(process.execPath, [join(root, 'packages/cli/scripts/pack.mjs')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  const packTime = seconds(t);

  t = performance.now();
  // From the temp dir, so no .npmrc or workspace of this checkout applies. better-sqlite3-multiple-ciphers' install script fetches or
  // compiles its addon; npm 11 warns about install scripts not allowed by name, and a later npm will skip them.
  execFileSync(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      '--allow-scripts=better-sqlite3-multiple-ciphers',
      tarball,
    ],
    { cwd: tmp, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const installTime = seconds(t);

  t = performance.now();
  for (const cmd of ['chat', 'chat-relay']) {
    const where = run('sh', ['-c', `command -v ${cmd}`]).trim();
    expectEqual(`command -v ${cmd}`, where, join(prefix, 'bin', cmd));
  }
  expectEqual('chat -V', run('chat', ['-V']), `${version}\n`);
  expectEqual('chat-relay -V', run('chat-relay', ['-V']), `chat-relay ${relayVersion} (protocol 1)\n`);
  for (const page of ['chat.1', 'chat-relay.1']) {
    if (!existsSync(join(prefix, 'share/man/man1', page))) throw new Error(`no ${page} in ${prefix}/share/man/man1`);
  }
  if (!run('chat', ['completion', 'bash']).includes('complete -o bashdefault -o default -F _chat_completions chat')) {
    throw new Error('chat completion bash printed no completion script');
  }

  const address = await startRelay();
  const profile = (name) => ({ CHAT_HOME: join(tmp, name), CHAT_PASSPHRASE: `passphrase of ${name}` });
  for (const name of ['alice', 'bob']) {
    run('chat', ['keygen'], profile(name));
    run('chat', ['login', name, '--relay', address], profile(name));
  }
  run('chat', ['send', 'bob', 'hello from an installed chat'], profile('alice'));
  const received = run('chat', ['recv', '--json'], profile('bob'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expectEqual('messages bob received', received.length, 1);
  expectEqual('from', received[0].from, 'alice');
  expectEqual('body', received[0].body, 'hello from an installed chat');
  console.log(`install test: ok (pack ${packTime}, npm install -g ${installTime}, commands ${seconds(t)})`);
}

try {
  await main();
} catch (err) {
  console.log(`install test: FAILED: ${err.message} (files kept in ${tmp})`);
  process.exitCode = 1;
} finally {
  relay?.kill('SIGTERM');
  if (relay) await new Promise((r) => (relay.exitCode === null ? relay.once('exit', r) : r()));
  if (process.exitCode !== 1) rmSync(tmp, { recursive: true, force: true });
}
