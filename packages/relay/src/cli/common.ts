/** Shared by the `chat-relay` subcommands: errors on stderr, and the binary's exit codes (README "Operating"). */

export const RelayExit = { OK: 0, FAILURE: 1, USAGE: 2, NOT_RUNNING: 3, REFUSED: 4 } as const;

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function printError(message: string, hint?: string): void {
  process.stderr.write(`chat-relay: error: ${message}\n`);
  if (hint) process.stderr.write(`chat-relay: hint: ${hint}\n`);
}
