/**
 * `chat send <username> <message...>`: exits 0 only once the relay has stored the envelope durably (`sent`, §9).
 * The message comes from the words, or from stdin with `-` (or with no words when stdin is not a terminal).
 */
import { MAX_BODY_BYTES } from '@chat/crypto';
import { ChatError } from '../engine/errors.js';
import type { GroupsContext } from '../engine/context.js';
import type { Messenger } from '../engine/messenger.js';
import { normalizeUsername } from '../engine/username.js';
import { openMessenger } from './common.js';
import { printJson, warn, type Io } from './io.js';

/** A group or room target (`#name`, `group:<id>`, `room:<name>`) rather than a username. */
const CONVERSATION = /^(#|group:|room:)/;

export interface SendArgs {
  username: string;
  message?: readonly (string | number)[] | undefined;
  json?: boolean;
  /** `--reply-to <id>`: the message this one answers (PROTOCOL.md §17), an id or a unique prefix of one. */
  replyTo?: string | undefined;
}

export async function send(args: SendArgs, io: Io): Promise<number> {
  const text = await messageText(args.message ?? [], io);
  const messenger = await openMessenger(io, { connectEarly: 'send' });
  messenger.on('keyChanged', (c) => {
    if (c.accepted)
      warn(
        io,
        `${c.username}'s key changed from ${c.previous} to ${c.current}; accepted (trust-new-identities always)`,
      );
  });
  try {
    const replyTo = args.replyTo === undefined ? undefined : await replyTarget(messenger, args.username, args.replyTo);
    if (CONVERSATION.test(args.username)) {
      const { sendToConversation } = await import('../engine/groups/conversation.js');
      const { to, result } = await sendToConversation(messenger, args.username, text, replyTo);
      for (const f of result.failed) warn(io, `not delivered to ${f.to}: ${f.code}`);
      if (args.json)
        printJson(io, {
          to,
          stored: result.stored.length,
          failed: result.failed,
          ...(replyTo === undefined ? {} : { reply_to: replyTo }),
        });
      else io.stdout.write(`sent to ${to} (${result.stored.length} members)\n`);
      return 0;
    }
    const sent = await messenger.sendMessage(args.username, text, replyTo);
    if (args.json)
      printJson(io, { id: sent.id, to: sent.to, ts: sent.ts, ...(replyTo === undefined ? {} : { reply_to: replyTo }) });
    else io.stdout.write(`sent to ${sent.to} (id ${sent.id})\n`);
    return 0;
  } catch (err) {
    throw await withNextStep(err, args.username, messenger);
  } finally {
    messenger.close();
  }
}

/**
 * The full id of the message `--reply-to` names (an id or a unique prefix), checked to be in the conversation the
 * reply goes to. @throws {ChatError} USAGE, NO_SUCH_MESSAGE.
 */
async function replyTarget(m: Messenger, target: string, ref: string): Promise<string> {
  const { locate } = await import('../engine/actions/send.js');
  const at = locate(m, ref);
  const sameConv = CONVERSATION.test(target)
    ? at.group !== undefined
    : at.peer !== undefined && at.peer === normalizeUsername(target);
  if (!sameConv)
    throw new ChatError('NO_SUCH_MESSAGE', `message ${at.target.id} is not in the conversation with ${target}`, {
      hint: `chat history ${target} lists the ids you can reply to there`,
    });
  return at.target.id;
}

/**
 * Names the next step for two common slips: a message over the size limit (send it as a file), and a user name that
 * is really one of our groups or rooms (`chat send team hi` for `#team`). Other errors pass through unchanged.
 */
async function withNextStep(err: unknown, target: string, m: Pick<GroupsContext, 'store'>): Promise<unknown> {
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
