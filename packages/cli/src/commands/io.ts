/**
 * What a command gets instead of `process`: streams and environment, so each command is a plain async function that
 * tests call directly. Errors go to stderr as `chat: error: ...` plus `chat: hint: ...` when there is a next step.
 */
import { ChatError, ExitCode } from '../engine/errors.js';
import { inertText } from '../terminal-text.js';
import { jsonLine } from '../json-line.js';

export interface Output {
  write(chunk: string): unknown;
  /** Set when the stream is a terminal (process.stdout has both): `chat recv` wraps to `columns` itself. */
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT / SIGTERM by the binary; long-running commands (`recv --follow`) stop cleanly. */
  signal?: AbortSignal;
  /**
   * Opens the controlling terminal when stdin is not one (the binary: `/dev/tty`, terminal.ts); undefined when there
   * is none. Absent in tests that call commands directly, so they never prompt on the developer's terminal.
   */
  openTerminal?: () => Promise<Terminal | undefined>;
}

/** A terminal to prompt on: raw-mode input, output for the prompt, and a close for what was opened. */
export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: Output;
  close?: () => void;
}

export function warn(io: Io, message: string): void {
  io.stderr.write(`chat: warning: ${message}\n`);
}

/** Something the user should know that is neither a problem nor a hint (a recovered session, §24.7). */
export function notice(io: Io, message: string): void {
  io.stderr.write(`chat: notice: ${message}\n`);
}

export function hint(io: Io, message: string): void {
  io.stderr.write(`chat: hint: ${message}\n`);
}

/** Prints an error the way every command does and returns its exit code (§12). */
export function reportError(io: Io, err: unknown): number {
  if (err instanceof ChatError) {
    // Messages quote names and values from others (a group, a file, the relay's text): inert like everything else.
    // The code names the error for scripts and for the docs (§10, §12); most messages already end with it.
    const code = err.message.includes(`(${err.code})`) ? '' : ` (${err.code})`;
    io.stderr.write(`chat: error: ${inertText(err.message)}${code}\n`);
    if (err.hint) hint(io, inertText(err.hint));
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`chat: error: internal error: ${inertText(message)}\n`);
  if (io.env.CHAT_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return ExitCode.OTHER;
}

/** Runs a command, turning a thrown error into its printed form and exit code. */
export async function runCommand(io: Io, command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (err) {
    return reportError(io, err);
  }
}

/** One JSON object per line (JSON Lines), for `--json`. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(jsonLine(value));
}
