/**
 * `chat` and `chat open <user>`: the interactive session. This module only forwards to the UI, which it imports on
 * call: loading Ink and React is the price of the interactive session alone (see test/e2e/startup.test.ts).
 */
import type { Io } from './io.js';

export async function interactive(args: { open?: string | undefined }, io: Io): Promise<number> {
  const { runInteractive } = await withoutCiMode(() => asProduction(() => import('../ui/run.js')));
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

/**
 * React and its reconciler pick their build when first loaded, from NODE_ENV: unset (as in a user's shell) means the
 * development build, which checks and records every render and took about half the session's CPU in a profile
 * (issue 15, "A long history"). The session always loads the production build; NODE_ENV is put back after.
 */
async function asProduction<T>(load: () => Promise<T>): Promise<T> {
  const saved = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    return await load();
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  }
}
