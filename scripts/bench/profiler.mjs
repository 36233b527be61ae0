// A CPU profile of the calling process from now until `stop()`, for the drain benchmarks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A CPU profile of this process (the engine) from now until `stop()`, written to `dir` as a .cpuprofile (Chrome
 * DevTools, speedscope), when `dir` is set: `node --cpu-prof` would also profile the setup.
 */
export async function startProfiler(dir, name = 'drain-v2') {
  if (!dir) return undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${name}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      process.stderr.write(`CPU profile: ${file}\n`);
    },
  };
}
