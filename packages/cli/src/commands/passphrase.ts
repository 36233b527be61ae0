/**
 * Where a command gets a passphrase (PROTOCOL.md §13, packages/cli/README.md "Keys at rest"), in this order:
 * `CHAT_PASSPHRASE`, the file named by `CHAT_PASSPHRASE_FILE`, else a hidden prompt: on stdin when it is a terminal,
 * else on the controlling terminal (`/dev/tty`, as ssh and gpg do, so `echo hi | chat send bob -` asks there). A
 * `--passphrase-file` flag beats both variables: bin/cli.ts puts it in `CHAT_PASSPHRASE_FILE` and drops
 * `CHAT_PASSPHRASE` for that command. Passphrases are never echoed, logged or put in error messages.
 */
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ChatError } from '../engine/errors.js';
import type { Profile } from '../engine/profile.js';
import type { Io, Terminal } from './io.js';

export interface PassphraseSource {
  /** Environment variable holding the passphrase itself. */
  envVar: string;
  /** Environment variable holding a file name (set by a `--…-file` option). */
  fileVar: string;
}

export const KEY_PASSPHRASE: PassphraseSource = { envVar: 'CHAT_PASSPHRASE', fileVar: 'CHAT_PASSPHRASE_FILE' };
export const NEW_PASSPHRASE: PassphraseSource = { envVar: 'CHAT_NEW_PASSPHRASE', fileVar: 'CHAT_NEW_PASSPHRASE_FILE' };
export const BACKUP_PASSPHRASE: PassphraseSource = {
  envVar: 'CHAT_BACKUP_PASSPHRASE',
  fileVar: 'CHAT_BACKUP_PASSPHRASE_FILE',
};

type TtyInput = Terminal['input'];

/** True if a hidden prompt is possible on stdin. */
export function canPrompt(io: Io): boolean {
  const input = io.stdin as TtyInput;
  return input.isTTY === true && typeof input.setRawMode === 'function';
}

/** Where to prompt: stdin if it is a terminal, else the controlling terminal; undefined when there is neither. */
async function promptTerminal(io: Io): Promise<Terminal | undefined> {
  if (canPrompt(io)) return { input: io.stdin as TtyInput, output: io.stderr };
  return io.openTerminal?.();
}

/**
 * The passphrase from the environment, a file, or a hidden prompt (asked twice with `confirm`); undefined when none
 * of them is available.
 * @throws {ChatError} USAGE for an empty passphrase or an unreadable file; for a prompt whose two entries differ.
 */
export async function readPassphrase(
  io: Io,
  source: PassphraseSource,
  prompt: string,
  { confirm = false } = {},
): Promise<string | undefined> {
  const fromEnv = io.env[source.envVar];
  if (fromEnv !== undefined) return nonEmpty(fromEnv, source.envVar, source, confirm);
  const file = io.env[source.fileVar];
  if (file !== undefined) {
    let text: string;
    try {
      text = await readPassphraseFile(file, io.signal);
    } catch (err) {
      // A local file that is missing or unreadable: exit 1 (PROTOCOL.md §12), as `chat send-file` says it (hunt1).
      throw new ChatError(
        'FILE_UNREADABLE',
        `cannot read the passphrase file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    return nonEmpty(text.replace(/\r?\n$/, ''), file, source, confirm);
  }
  const terminal = await promptTerminal(io);
  if (terminal === undefined) return undefined;
  try {
    const first = nonEmpty(await promptHidden(terminal, `${prompt}: `), 'the passphrase', source, confirm);
    if (confirm && (await promptHidden(terminal, 'again, to confirm: ')) !== first) {
      throw new ChatError('USAGE', 'the two passphrases differ; nothing was changed');
    }
    return first;
  } finally {
    terminal.close?.();
  }
}

/**
 * What to do about an empty passphrase, by what it is for: a new one for keys (keygen, passwd, a restore: `confirm`)
 * may be none at all (--no-passphrase); a backup always has one; an existing one is the one already in use.
 */
function emptyHint(source: PassphraseSource, isNew: boolean): string {
  if (source === BACKUP_PASSPHRASE)
    return isNew
      ? 'a backup needs a passphrase of its own'
      : "give the backup's own passphrase, the one it was exported with";
  if (isNew || source === NEW_PASSPHRASE) return 'use a real passphrase, or --no-passphrase to store keys unencrypted';
  return 'give the passphrase your keys were sealed with (chat passwd changes it)';
}

function nonEmpty(p: string, where: string, source: PassphraseSource, isNew: boolean): string {
  if (p.length === 0) throw new ChatError('USAGE', `${where} is empty`, { hint: emptyHint(source, isNew) });
  return p;
}

/** The passphrase to unlock `profile`, or undefined when its keys are not encrypted. @throws {ChatError} PASSPHRASE_REQUIRED */
export async function unlockingPassphrase(io: Io, profile: Profile): Promise<string | undefined> {
  if (profile.identityFormat() !== 'passphrase') return undefined;
  const p = await readPassphrase(io, KEY_PASSPHRASE, `passphrase for ${profile.home}`);
  if (p === undefined) {
    throw new ChatError(
      'PASSPHRASE_REQUIRED',
      `the keys in ${profile.home} are protected by a passphrase and there is no terminal to ask for it`,
      {
        hint: 'set CHAT_PASSPHRASE or pass --passphrase-file <file>',
      },
    );
  }
  return p;
}

/** Reads one line from a terminal in raw mode without echoing it; Ctrl-C / Ctrl-D abort. */
function promptHidden({ input, output }: Terminal, prompt: string): Promise<string> {
  // Echo goes off before the prompt shows, so a passphrase typed the moment the prompt appears is never echoed.
  input.setRawMode?.(true);
  output.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err?: Error): void => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new ChatError('USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/**
 * Reads a passphrase file on the thread pool, not with readFileSync: a FIFO (`--passphrase-file <(pass show chat)`,
 * a named pipe whose writer has not come yet) would block the whole event loop, so that a daemon waiting for its
 * passphrase answered no signal and no client (hunt3). Stopped meanwhile (`signal`), it opens the pipe for writing
 * itself and closes it: the pending read ends (EOF), as Node waits for the thread pool's reads when the process exits.
 * Two races made a stopped daemon wait for ever on a busy machine: the signal came before the read was started (an
 * abort listener added then never hears it), or before the thread pool had opened the pipe (a writer's non-blocking
 * open then fails, ENXIO: no reader yet). Already stopped, it does not read; in the second case it tries again.
 */
async function readPassphraseFile(file: string, signal: AbortSignal | undefined): Promise<string> {
  if (signal?.aborted) return '';
  let settled = false;
  let again: NodeJS.Timeout | undefined;
  const unblock = (): void => {
    if (settled) return;
    try {
      if (statSync(file).isFIFO()) closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch (err) {
      // ENXIO: the read has not opened the pipe yet. Anything else: no such pipe, nothing waits on it.
      if ((err as NodeJS.ErrnoException).code === 'ENXIO') again = setTimeout(unblock, 10);
    }
  };
  signal?.addEventListener('abort', unblock, { once: true });
  try {
    return await readFile(file, 'utf8');
  } finally {
    settled = true;
    clearTimeout(again);
    signal?.removeEventListener('abort', unblock);
  }
}
