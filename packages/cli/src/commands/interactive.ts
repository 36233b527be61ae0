/**
 * `chat` and `chat open <user>`: the interactive session. This module only forwards to the UI, which it imports on
 * call: loading Ink and React is the price of the interactive session alone (see test/e2e/startup.test.ts).
 */
import type { Io } from './io.js';

export async function interactive(args: { open?: string | undefined }, io: Io): Promise<number> {
  const { runInteractive } = await import('../ui/run.js');
  return runInteractive(args, io);
}
