#!/usr/bin/env node
/**
 * The `chat` binary. `npm run build` bundles this file with the code it imports into dist/bin/chat.js
 * (packages/cli/scripts/bundle.mjs): one file to read and compile at start-up instead of ~150 modules.
 *
 * Plain `chat send <user> <words>` and `chat recv [--json] [--follow]` run without yargs (fast-path.ts); every other
 * invocation, including every `--help` and every usage error, goes through the yargs definition in cli.ts.
 */
import { existsSync } from 'node:fs';
import { daemonSocketPath, profileHome } from '../engine/home.js';
import { fastCommand } from './fast-path.js';

// `chat recv | head -1`: a closed stdout must not crash the process before it has acknowledged what it committed.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

const args = process.argv.slice(2); // what yargs' hideBin returns for node
const fast = fastCommand(args);
// scrypt on the thread pool while the command loads; not when a daemon holds the keys (the command will ask it).
const daemon = process.env.CHAT_NO_DAEMON !== '1' && existsSync(daemonSocketPath(profileHome(process.env)));
if (fast && !daemon) (await import('./prederive.js')).prederiveIdentityKey(process.env);
// With a daemon, a plain send needs none of the rest of the binary (daemon-send.ts); it says when it cannot help.
const sentByDaemon =
  fast?.command === 'send' &&
  daemon &&
  (await (
    await import('./daemon-send.js')
  ).daemonSend(process.env, fast.args.username, fast.args.message, fast.args.json));
if (!sentByDaemon) {
  const { actions } = await import('./run.js');
  if (fast?.command === 'send') await actions.send(fast.args);
  else if (fast?.command === 'recv') await actions.recv(fast.args);
  else await (await import('./cli.js')).parseWithYargs(args);
}
