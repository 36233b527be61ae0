#!/usr/bin/env node
/**
 * The `chat` binary. `npm run build` bundles this file with the code it imports into dist/bin/chat.js
 * (packages/cli/scripts/bundle.mjs): one file to read and compile at start-up instead of ~150 modules.
 *
 * Plain `chat send <user> <words>`, `chat recv [--json] [--follow]` and the read-only `history`, `search`, `contacts`
 * and `whoami` run without yargs (fast-path.ts; fast-run.ts, one CommonJS file in the bundle), and so does a lone
 * `--version` / `-V`; every other invocation, including every `--help` and every usage error, goes through the yargs
 * definition in cli.ts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportOutputErrors } from '@chat/protocol/output';
import { daemonSocketPath, profileHome } from '../engine/home.js';
import { fastCommand } from './fast-path.js';
import { VERSION } from '../version.js';

/** Set by the bundler (scripts/bundle.mjs): the fast path's CommonJS bundle, relative to this file. */
declare const CHAT_FAST_BUNDLE: string | undefined;

// `chat recv | head -1`: a closed stdout must not crash the process before it has acknowledged what it committed
// (`recv` then stops cleanly, bin/run.ts); any other failure to write it is one plain error and exit 1. What was
// committed stays in the history either way.
reportOutputErrors('chat');

const args = process.argv.slice(2); // what yargs' hideBin returns for node
// What yargs' .version() prints for these two alone, without loading yargs (about 150 ms of CPU, docs/BENCHMARKS.md).
const versionOnly = args.length === 1 && (args[0] === '--version' || args[0] === '-V');
if (versionOnly) process.stdout.write(`${VERSION}\n`);
/** A fast-path run longer than this (seconds) does not add its command to the code cache. */
const LONG_RUN_S = 10;

const fast = versionOnly ? undefined : fastCommand(args);
// Only send and recv unlock the keys; the read-only commands neither derive a key nor ask a daemon.
const unlocks = fast?.command === 'send' || fast?.command === 'recv';
// scrypt on the thread pool while the command loads; not when a daemon holds the keys (the command will ask it).
const daemon = unlocks && process.env.CHAT_NO_DAEMON !== '1' && existsSync(daemonSocketPath(profileHome(process.env)));
if (unlocks && !daemon) (await loadFastRun()).prederiveIdentityKey(process.env);
// With a daemon, a plain send needs none of the rest of the binary (daemon-send.ts); it says when it cannot help.
const sentByDaemon =
  fast?.command === 'send' &&
  daemon &&
  (await (
    await import('./daemon-send.js')
  ).daemonSend(process.env, fast.args.username, fast.args.message, fast.args.json));
if (!sentByDaemon && !versionOnly) {
  if (fast === undefined) await (await import('./cli.js')).parseWithYargs(args);
  else await (await loadFastRun()).runFast(fast);
}

type FastRun = typeof import('./fast-run.js');
let fastRun: Promise<FastRun> | undefined;

/**
 * fast-run.ts: in the bundle its CommonJS file (one read, one compile, through V8's code cache: code-cache.ts), else
 * the module itself (tsc's output).
 */
function loadFastRun(): Promise<FastRun> {
  fastRun ??= typeof CHAT_FAST_BUNDLE !== 'string' ? import('./fast-run.js') : requireCached<FastRun>(CHAT_FAST_BUNDLE);
  return fastRun;
}

async function requireCached<T>(bundle: string): Promise<T> {
  const { requireWithCodeCache } = await import('./code-cache.js');
  const m = requireWithCodeCache<T>(fileURLToPath(new URL(bundle, import.meta.url)), (s) => import(s));
  // A short run that completed names its command, so the cache also holds what that command compiles (code-cache.ts).
  // A long one (recv --follow) names none: V8 may have flushed the bytecode of what it loaded from the cache and did
  // not call since.
  const kind = fast?.command;
  if (m.cache !== 'used' || (kind !== undefined && !m.kinds.includes(kind)))
    process.once('exit', (code) => m.save(code === 0 && process.uptime() < LONG_RUN_S ? kind : undefined));
  return m.exports;
}
