// The timed half of the drain benchmarks in a process of its own, as `chat recv` is: a fresh Node whose engine code
// has run nothing before (drain-v2.mjs sets up the mailbox in its own process, whose JIT state would otherwise
// carry over). Usage: node drain-child.mjs <profile dir>; prints one JSON line: seconds from `Messenger.open` to
// `receive()` returning, messages received, this process's CPU and its main thread's, in µs.
// CHAT_BENCH_WORKERS=on|off and CHAT_BENCH_CLIENT_PROF=DIR as in drain-v2.mjs.
import { Messenger } from '../../packages/cli/dist/engine/messenger.js';
import { Profile } from '../../packages/cli/dist/engine/profile.js';
import { receiverTuning } from '../../packages/cli/dist/engine/receive/receiver.js';
import { cpuSeconds } from './common.mjs';
import { startProfiler } from './profiler.mjs';

const workers = process.env.CHAT_BENCH_WORKERS;
if (workers === 'on' || workers === 'off') {
  receiverTuning.secondCoreUsable = () => workers === 'on';
  receiverTuning.unsealPoolUsable = () => workers === 'on';
}

const profile = new Profile(process.argv[2]);
const profiler = await startProfiler(process.env.CHAT_BENCH_CLIENT_PROF, 'drain');
const mainThread = `${process.pid}/task/${process.pid}`;
const cpu0 = process.cpuUsage();
const main0 = cpuSeconds(mainThread);
const t0 = performance.now();
const m = await Messenger.open(profile);
let received = 0;
await m.receive({ follow: false, onMessage: () => received++ });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const main1 = cpuSeconds(mainThread);
await profiler?.stop();
m.close();
process.stdout.write(
  `${JSON.stringify({
    seconds,
    received,
    cpuUs: cpu.user + cpu.system,
    mainCpuUs: main0 === undefined || main1 === undefined ? undefined : (main1 - main0) * 1e6,
  })}\n`,
);
