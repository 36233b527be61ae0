/**
 * What both binaries do when their standard output cannot be written (`@chat/protocol/output`, outside the codec's
 * index, beside `./dirs`: the relay and the client share nothing else that is not about the wire).
 */

/**
 * Handles errors on `process.stdout` for the program named `program` (`chat`, `chat-relay`). A reader that left
 * (EPIPE: `chat recv | head -1`) is not an error and does not kill the process mid-write: a command that streams
 * (`chat recv`) listens for it itself and stops cleanly, acknowledging what it committed.
 * Any other failure (`> /dev/full`: ENOSPC, EIO) is said once, `<program>: error: cannot write the output: <code>`,
 * and the exit code becomes 1; before, it was rethrown as a raw stack trace (hunt2).
 * @example reportOutputErrors('chat')
 */
export function reportOutputErrors(program: string): void {
  let failed = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return;
    process.exitCode = 1;
    if (failed) return;
    failed = true;
    process.stderr.write(`${program}: error: cannot write the output: ${err.code ?? err.message}\n`);
  });
}
