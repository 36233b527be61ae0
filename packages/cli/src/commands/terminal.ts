/**
 * The process's controlling terminal (`/dev/tty`), opened apart from stdin: where a passphrase is asked when stdin
 * is a pipe (`echo hi | chat send bob -`), as ssh and gpg do. Loaded only when a prompt is needed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream, isatty } from 'node:tty';
import type { Terminal } from './io.js';

/** The controlling terminal, or undefined when there is none (cron, CI, a daemon: open fails with ENXIO). */
export function openControllingTerminal(): Terminal | undefined {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  if (!isatty(fd)) {
    closeSync(fd);
    return undefined;
  }
  const input = new ReadStream(fd);
  return {
    input,
    // The prompt goes to the terminal too (not stderr, which may be a log file), where the person typing looks.
    output: { write: (text: string) => writeSync(fd, text) },
    // Destroying the stream closes fd; the loop then has nothing left from the terminal to wait for.
    close: () => input.destroy(),
  };
}
