/**
 * What both ways into the binary share (main.ts's fast path and the yargs definition in cli.ts): the process's Io,
 * loading and running a command module, and the `send` / `recv` actions, so the two paths call exactly the same code.
 */
// Static: errors and their printing are small and every command needs them; one fewer load before the command's own.
import { runCommand, type Io } from '../commands/io.js';
import type { ContactsArgs } from '../commands/contacts.js';
import type { HistoryArgs, SearchArgs } from '../commands/history.js';
import type { WhoamiArgs } from '../commands/whoami.js';

export const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  // Loaded only for a passphrase prompt with stdin a pipe: no other run pays for node:tty.
  openTerminal: async () => (await import('../commands/terminal.js')).openControllingTerminal(),
};

/** Loads a command module, runs it, and maps a thrown error to `chat: error:` lines and a §12 exit code. */
export async function run<M>(
  load: () => Promise<M>,
  call: (m: M) => Promise<number>,
  { stopOnSignals = false, stopOnClosedOutput = false } = {},
): Promise<void> {
  const controller = new AbortController();
  if (stopOnSignals) {
    // First SIGINT / SIGTERM: the command stops cleanly (`recv` acknowledges what is committed and closes; `send`
    // withdraws what the relay has not confirmed), told through `io.signal`, whose reason names the signal. A second
    // one: exit at once.
    io.signal = controller.signal;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
      controller.abort(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  if (stopOnClosedOutput) {
    // The reader left (`chat recv --follow | head -1`): nothing more can be shown, so stop as on a first signal
    // instead of receiving (and acknowledging) on for nobody (hunt3). main.ts's handler keeps EPIPE from being fatal.
    io.signal = controller.signal;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' && !controller.signal.aborted) controller.abort('EPIPE');
    });
  }
  process.exitCode = await runCommand(io, async () => call(await load()));
  // Stopped: what the command left running (a connection still opening, its timers) must not keep the process alive.
  if (controller.signal.aborted) process.exit();
}

/** `chat send` as parsed: the words of the message (after `--` too), not yet joined. */
export interface SendAction {
  username: string;
  message: string[];
  json: boolean;
  /** `--reply-to <id>` (PROTOCOL.md §17). */
  replyTo?: string | undefined;
  /** `--allow-v1`: send a v1 envelope when v2 is not available (PROTOCOL.md §24.5). */
  allowV1?: boolean | undefined;
}

/** `chat recv` as parsed. */
export interface RecvAction {
  follow: boolean;
  json: boolean;
}

/** The commands main.ts may run without yargs; cli.ts takes them as a parameter so a test can compare the two paths. */
export interface Actions {
  send(a: SendAction): Promise<void>;
  recv(a: RecvAction): Promise<void>;
  history(a: HistoryArgs): Promise<void>;
  search(a: SearchArgs): Promise<void>;
  contacts(a: ContactsArgs): Promise<void>;
  whoami(a: WhoamiArgs): Promise<void>;
}

export const actions: Actions = {
  send: (a) =>
    run(
      () => import('../commands/send.js'),
      (m) => m.send(a, io),
      { stopOnSignals: true },
    ),
  recv: (a) =>
    run(
      () => import('../commands/recv.js'),
      (m) => m.recv(a, io),
      { stopOnSignals: true, stopOnClosedOutput: true },
    ),
  history: (a) =>
    run(
      () => import('../commands/history.js'),
      (m) => m.history(a, io),
    ),
  search: (a) =>
    run(
      () => import('../commands/history.js'),
      (m) => m.search(a, io),
    ),
  contacts: (a) =>
    run(
      () => import('../commands/contacts.js'),
      (m) => m.contacts(a, io),
    ),
  whoami: (a) =>
    run(
      () => import('../commands/whoami.js'),
      (m) => m.whoami(a, io),
    ),
};
