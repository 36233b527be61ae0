// The timed part of the v2 drain benchmark, shared by drain-v2.mjs (in its own process) and drain-child.mjs (in a
// fresh one): seconds from `Messenger.open` to `receive()` returning, the messages received, this process's CPU and its
// main thread's (/proc/PID/task/PID: what the unseal pool moves off it shows there), in µs.
import { Messenger } from '../../packages/cli/dist/engine/messenger.js';
import { receiverTuning } from '../../packages/cli/dist/engine/receive/receiver.js';
import { cpuSeconds } from './common.mjs';
import { startProfiler } from './profiler.mjs';

/**
 * CHAT_BENCH_WORKERS=on|off: the receiver's worker threads (signatures, unseal pool) whatever the cores and the load
 * average, for before/after comparisons (by default they start only below a load of twice the cores, and the unseal
 * pool on fewer than 4 cores only below a load of the core count: receiver.ts unsealPoolFits).
 */
export function applyWorkerEnv() {
  const workers = process.env.CHAT_BENCH_WORKERS;
  if (workers === 'on' || workers === 'off') {
    receiverTuning.secondCoreUsable = () => workers === 'on';
    receiverTuning.unsealPoolUsable = () => workers === 'on';
  }
}

/** Drains `profile`'s mailbox once, timed; CHAT_BENCH_CLIENT_PROF=DIR writes a CPU profile of it named `name`-…. */
export async function timedDrain(profile, name) {
  const profiler = await startProfiler(process.env.CHAT_BENCH_CLIENT_PROF, name);
  const mainThread = `${process.pid}/task/${process.pid}`;
  const cpu0 = process.cpuUsage();
  const main0 = cpuSeconds(mainThread);
  const t0 = performance.now();
  // As `chat recv` opens it (commands/recv.ts): the relay connection starts while the keys and the store load.
  const m = await Messenger.open(profile, { connectEarly: 'recv' });
  let received = 0;
  await m.receive({ follow: false, onMessage: () => received++ });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const main1 = cpuSeconds(mainThread);
  await profiler?.stop();
  m.close();
  const mainCpuUs = main0 === undefined || main1 === undefined ? undefined : (main1 - main0) * 1e6;
  return { seconds, received, cpuUs: cpu.user + cpu.system, mainCpuUs };
}
