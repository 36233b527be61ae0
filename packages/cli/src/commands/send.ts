/**
 * `chat send <username> <message...>`: exits 0 only once the relay has stored the envelope durably (`sent`, §9).
 * The message comes from the words, or from stdin with `-` (or with no words when stdin is not a terminal).
 * With a daemon running for the profile it asks the daemon (docs/JSONRPC.md); else it opens its own session
 * (send-session.ts, loaded only then: the keys' crypto and the store are most of a one-shot command's start-up).
 */
import { ChatError } from '../engine/errors.js';
import type { DaemonClient } from '../daemon/client.js';
import type { SendResult } from '../daemon/methods.js';
import { attachDaemon } from './attach.js';
import type { Io } from './io.js';
import { printSent as printSentTo } from './sent-output.js';
import { Stop, stopped, whenStopped } from './stop.js';

export interface SendArgs {
  username: string;
  message?: readonly (string | number)[] | undefined;
  json?: boolean;
  /** `--reply-to <id>`: the message this one answers (PROTOCOL.md §17), an id or a unique prefix of one. */
  replyTo?: string | undefined;
  /** `--allow-v1`: a v1 envelope where v2 is not available, instead of V2_UNAVAILABLE (exit 8, PROTOCOL.md §24.5). */
  allowV1?: boolean | undefined;
}

export async function send(args: SendArgs, io: Io): Promise<number> {
  const text = await messageText(args.message ?? [], io, args.username);
  const daemon = await attachDaemon(io);
  if (daemon) return sendThroughDaemon(daemon, args, text, io);
  const { sendInSession } = await import('./send-session.js');
  return printSent(io, args, await sendInSession(args.username, text, io, args.replyTo, args.allowV1 === true));
}

/** `send` through the daemon (docs/JSONRPC.md): no key derivation, no relay handshake in this process. */
async function sendThroughDaemon(daemon: DaemonClient, args: SendArgs, text: string, io: Io): Promise<number> {
  const stop = whenStopped(io.signal);
  stop.catch(() => {});
  try {
    const params = {
      recipient: args.username,
      message: text,
      ...(args.replyTo === undefined ? {} : { replyTo: args.replyTo }),
      ...(args.allowV1 === true ? { allowV1: true } : {}),
    };
    return printSent(io, args, await Promise.race([daemon.request<SendResult>('send', params), stop]));
  } catch (err) {
    // The daemon has the request and goes on with it; this process only stops waiting for its answer.
    if (err instanceof Stop)
      throw stopped(err.code, 'while the daemon was sending: it goes on (chat history shows it)');
    throw err;
  } finally {
    daemon.close();
  }
}

/** What `chat send` prints, the same whether this process or the daemon sent it (sent-output.ts). */
export function printSent(io: Io, args: SendArgs, r: SendResult): number {
  return printSentTo(io, args.json === true, r);
}

/**
 * The message: the words joined by spaces, or stdin (one trailing newline dropped, as `echo` adds it). `to` (the
 * recipient, when sending) makes the hint for a body over the limit name the right `chat send-file`.
 */
export async function messageText(words: readonly (string | number)[], io: Io, to?: string): Promise<string> {
  const fromStdin = (words.length === 1 && words[0] === '-') || (words.length === 0 && !io.stdin.isTTY);
  if (!fromStdin && words.length === 0) {
    throw new ChatError('USAGE', 'no message given', {
      hint: 'chat send <username> <message...>, or - to read the message from stdin',
    });
  }
  const text = fromStdin ? (await readStdin(io, to)).replace(/\r?\n$/, '') : words.map(String).join(' ');
  if (text.length === 0) throw new ChatError('USAGE', 'the message is empty');
  return text;
}

/** Reads stdin as UTF-8, refusing more than fits in one message before buffering it all. */
async function readStdin(io: Io, to: string | undefined): Promise<string> {
  // The limit is loaded only for stdin: @chat/crypto is a large module that a message in words never needs.
  const { MAX_BODY_BYTES } = await import('./body-limit.js');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    size += b.length;
    // +2 leaves room for the trailing newline that is dropped.
    if (size > MAX_BODY_BYTES + 2) {
      throw new ChatError(
        'BODY_TOO_LARGE',
        `the message on stdin is over the limit of ${MAX_BODY_BYTES} bytes (UTF-8)`,
        {
          hint: /^(#|group:|room:)/.test(to ?? '')
            ? `split it into messages of at most ${MAX_BODY_BYTES} bytes (files go to one user at a time: chat send-file <username> <file>)`
            : `send it as a file instead: chat send-file ${to ?? '<username>'} <file>`,
        },
      );
    }
    chunks.push(b);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ChatError('USAGE', 'the message on stdin is not valid UTF-8');
  }
}
