/**
 * `chat send <username> <message...>`: exits 0 only once the relay has stored the envelope durably (`sent`, §9).
 * The message comes from the words, or from stdin with `-` (or with no words when stdin is not a terminal).
 */
import { MAX_BODY_BYTES } from '@chat/crypto';
import { ChatError } from '../engine/errors.js';
import type { GroupsContext } from '../engine/context.js';
import type { DaemonClient } from '../daemon/client.js';
import type { SendResult } from '../daemon/methods.js';
import { attachDaemon, openMessenger } from './common.js';
import { printJson, warn, type Io } from './io.js';

/** A group or room target (`#name`, `group:<id>`, `room:<name>`) rather than a username. */
const CONVERSATION = /^(#|group:|room:)/;

export interface SendArgs {
  username: string;
  message?: readonly (string | number)[] | undefined;
  json?: boolean;
}

export async function send(args: SendArgs, io: Io): Promise<number> {
  const text = await messageText(args.message ?? [], io);
  const daemon = await attachDaemon(io);
  if (daemon) return sendThroughDaemon(daemon, args, text, io);
  const messenger = await openMessenger(io, { connectEarly: 'send' });
  messenger.on('keyChanged', (c) => {
    if (c.accepted)
      warn(
        io,
        `${c.username}'s key changed from ${c.previous} to ${c.current}; accepted (trust-new-identities always)`,
      );
  });
  try {
    if (CONVERSATION.test(args.username)) {
      const { sendToConversation } = await import('../engine/groups/conversation.js');
      const { to, result } = await sendToConversation(messenger, args.username, text);
      return printSent(io, args, { type: 'conversation', to, ...result });
    }
    const sent = await messenger.sendMessage(args.username, text);
    return printSent(io, args, { type: 'direct', to: sent.to, id: sent.id, ts: sent.ts, state: 'sent' });
  } catch (err) {
    throw await withNextStep(err, args.username, messenger);
  } finally {
    messenger.close();
  }
}

/** `send` through the daemon (docs/JSONRPC.md): no key derivation, no relay handshake in this process. */
async function sendThroughDaemon(daemon: DaemonClient, args: SendArgs, text: string, io: Io): Promise<number> {
  try {
    return printSent(io, args, await daemon.request<SendResult>('send', { recipient: args.username, message: text }));
  } finally {
    daemon.close();
  }
}

/** What `chat send` prints, the same whether this process or the daemon sent it. */
function printSent(io: Io, args: SendArgs, r: SendResult): number {
  if (r.type === 'conversation') {
    for (const f of r.failed) warn(io, `not delivered to ${f.to}: ${f.code}`);
    if (args.json) printJson(io, { to: r.to, stored: r.stored.length, failed: r.failed });
    else io.stdout.write(`sent to ${r.to} (${r.stored.length} members)\n`);
  } else if (args.json) printJson(io, { id: r.id, to: r.to, ts: r.ts });
  else io.stdout.write(`sent to ${r.to} (id ${r.id})\n`);
  return 0;
}

/**
 * Names the next step for two common slips: a message over the size limit (send it as a file), and a user name that
 * is really one of our groups or rooms (`chat send team hi` for `#team`). Other errors pass through unchanged.
 */
export async function withNextStep(err: unknown, target: string, m: Pick<GroupsContext, 'store'>): Promise<unknown> {
  if (!(err instanceof ChatError)) return err;
  if (err.code === 'BODY_TOO_LARGE' && err.hint === undefined) {
    // Files go to one user (§16); a group or room message can only be split.
    const hint = CONVERSATION.test(target)
      ? `split it into messages of at most ${MAX_BODY_BYTES} bytes (files go to one user at a time: chat send-file <username> <file>)`
      : `send it as a file instead: chat send-file ${target} <file>`;
    return new ChatError(err.code, err.message, { hint, cause: err });
  }
  if (err.code === 'UNKNOWN_USER' || err.code === 'BAD_USERNAME') {
    // The same rule `chat send '#…'` resolves names by (groups/conversation.ts), so the hint never names a target
    // that would fail: a pending invitation is none, and a name two conversations share says so.
    const { resolveConversation } = await import('../engine/groups/conversation.js');
    let what: string | undefined;
    try {
      what = resolveConversation(m, `#${target}`).kind === 'group' ? 'a group' : 'a room';
    } catch (e) {
      if (e instanceof ChatError && e.code === 'AMBIGUOUS_NAME') what = 'more than one group or room';
    }
    if (what !== undefined) {
      return new ChatError(err.code, err.message, {
        hint: `${target} is ${what} of yours: chat send '#${target}' <message>`,
        cause: err,
      });
    }
  }
  return err;
}

/** The message: the words joined by spaces, or stdin (one trailing newline dropped, as `echo` adds it). */
export async function messageText(words: readonly (string | number)[], io: Io): Promise<string> {
  const fromStdin = (words.length === 1 && words[0] === '-') || (words.length === 0 && !io.stdin.isTTY);
  if (!fromStdin && words.length === 0) {
    throw new ChatError('USAGE', 'no message given', {
      hint: 'chat send <username> <message...>, or - to read the message from stdin',
    });
  }
  const text = fromStdin ? (await readStdin(io)).replace(/\r?\n$/, '') : words.map(String).join(' ');
  if (text.length === 0) throw new ChatError('USAGE', 'the message is empty');
  return text;
}

/** Reads stdin as UTF-8, refusing more than fits in one message before buffering it all. */
async function readStdin(io: Io): Promise<string> {
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
        { hint: 'send it as a file instead: chat send-file <username> <file>' },
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
