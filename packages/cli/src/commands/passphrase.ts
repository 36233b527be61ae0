/**
 * Where a command gets a passphrase (PROTOCOL.md §13, packages/cli/README.md "Keys at rest"), in this order:
 * `CHAT_PASSPHRASE`, the file named by `CHAT_PASSPHRASE_FILE`, else a hidden prompt: on stdin when it is a terminal,
 * else on the controlling terminal (`/dev/tty`, as ssh and gpg do, so `echo hi | chat send bob -` asks there). A
 * `--passphrase-file` flag beats both variables: bin/cli.ts puts it in `CHAT_PASSPHRASE_FILE` and drops
 * `CHAT_PASSPHRASE` for that command. Passphrases are never echoed, logged or put in error messages.
 */
import { type Stats, closeSync, constants, createReadStream, fstatSync, openSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { ChatError } from '../engine/errors.js';
import type { Profile } from '../engine/profile.js';
import type { Io, Terminal } from './io.js';
import { stopCode, stopped } from './stop.js';

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
      if (err instanceof ChatError) throw err; // stopped while it waited
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

/** A passphrase file larger than this is not one (`--passphrase-file <(yes)`, a disk image named by mistake). */
export const MAX_PASSPHRASE_FILE_BYTES = 64 * 1024;

/**
 * Reads a passphrase file without blocking the event loop or a thread. A FIFO (`--passphrase-file <(pass show chat)`,
 * a named pipe whose writer has not come yet) read with readFileSync froze a daemon waiting for its passphrase: no
 * signal, no client (hunt3). Read on the thread pool instead, a stop could not end the read for certain (review rev17:
 * a pipe removed or replaced meanwhile, one we may not write to, another reader taking the wake-up), and a thread
 * blocked in open() keeps even process.exit() from returning. So a pipe is opened non-blocking here, on the main
 * thread, and read as a stream the event loop watches (nothing is read before a writer comes); a stop destroys the
 * stream. A regular file is read at once, another device as a stream of at most the cap; a terminal is refused (the
 * prompt is the way to type a passphrase there). More than MAX_PASSPHRASE_FILE_BYTES is refused (review rev18).
 * @throws {ChatError} INTERRUPTED or TERMINATED when `signal` stops the read (or had before it began); FILE_UNREADABLE
 *   for a file over the cap; USAGE for a terminal.
 */
async function readPassphraseFile(file: string, signal: AbortSignal | undefined): Promise<string> {
  if (signal?.aborted) throw stoppedReading(signal);
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  let kind: Stats;
  try {
    kind = fstatSync(fd);
    if (kind.isCharacterDevice() && (await import('node:tty')).isatty(fd)) {
      throw new ChatError('USAGE', `the passphrase file ${file} is a terminal`, {
        hint: 'leave out --passphrase-file: chat asks for the passphrase on the terminal itself',
      });
    }
    if (kind.isFile()) {
      if (kind.size > MAX_PASSPHRASE_FILE_BYTES) throw tooLarge(file);
      return readFileSync(fd, 'utf8');
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  // A pipe: polled by the event loop. Another device (`/dev/zero`): read on the pool, at most one byte over the cap.
  const stream = kind.isFIFO()
    ? new Socket({ fd, readable: true, writable: false })
    : createReadStream('', { fd, end: MAX_PASSPHRASE_FILE_BYTES });
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: unknown): void => {
      stream.destroy();
      reject(err);
    };
    const stop = (): void => fail(stoppedReading(signal!));
    signal?.addEventListener('abort', stop, { once: true });
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PASSPHRASE_FILE_BYTES) fail(tooLarge(file));
      else chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
    stream.once('close', () => signal?.removeEventListener('abort', stop));
  });
}

const tooLarge = (file: string): ChatError =>
  new ChatError(
    'FILE_UNREADABLE',
    `the passphrase file ${file} holds more than ${MAX_PASSPHRASE_FILE_BYTES / 1024} KiB: not a passphrase`,
  );

const stoppedReading = (signal: AbortSignal): ChatError =>
  stopped(stopCode(signal), 'while waiting for the passphrase file');
