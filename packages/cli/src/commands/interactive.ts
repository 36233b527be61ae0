/**
 * `chat` and `chat open <user>`: the interactive session. This module only forwards to the UI, which it imports on
 * call: loading Ink and React is the price of the interactive session alone (see test/e2e/startup.test.ts).
 */
import type { Io } from './io.js';

export async function interactive(args: { open?: string | undefined }, io: Io): Promise<number> {
  const { runInteractive } = await withoutCiMode(() => import('../ui/run.js'));
  return runInteractive(args, io);
}

/**
 * Ink decides once, when it is first imported, whether it runs "in CI" (`CI` or `CONTINUOUS_INTEGRATION` set and not
 * 0/false), and in CI it draws nothing until the app exits: a user whose shell exports CI=1, or a terminal opened on
 * a CI runner, would see a blank screen. The session only starts on a terminal (run.tsx checks), so CI mode is never
 * what is wanted here; the variables are hidden from that one import and then put back.
 */
async function withoutCiMode<T>(load: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) {
    saved[key] = process.env[key];
    delete process.env[key];
  }
  try {
    return await load();
  } finally {
    for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
  }
}
