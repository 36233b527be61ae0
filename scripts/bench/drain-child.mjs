// The timed half of the drain benchmarks in a process of its own, as `chat recv` is: a fresh Node whose engine code
// has run nothing before (drain-v2.mjs sets up the mailbox in its own process, whose JIT state would otherwise
// carry over). Usage: node drain-child.mjs <profile dir>; prints timedDrain's result (drain-timed.mjs) as one JSON
// line. CHAT_BENCH_WORKERS=on|off and CHAT_BENCH_CLIENT_PROF=DIR as in drain-v2.mjs.
import { Profile } from '../../packages/cli/dist/engine/profile.js';
import { applyWorkerEnv, timedDrain } from './drain-timed.mjs';

applyWorkerEnv();
process.stdout.write(`${JSON.stringify(await timedDrain(new Profile(process.argv[2]), 'drain'))}\n`);
