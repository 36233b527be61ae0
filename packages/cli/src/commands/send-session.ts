/**
 * `chat send` in a session of its own (no daemon running): unlock the keys, connect, send, close. What it returns is
 * what the daemon's `send` returns, so send.ts prints both alike.
 */
import { MAX_BODY_BYTES } from '@chat/crypto';
import type { GroupsContext } from '../engine/context.js';
import type { Messenger } from '../engine/messenger.js';
import { normalizeUsername } from '../engine/username.js';
import { ChatError } from '../engine/errors.js';
import { CONVERSATION_TARGET as CONVERSATION } from '../engine/groups/target.js';
import type { SendResult } from '../daemon/methods.js';
import { openMessenger } from './common.js';
import { warn, type Io } from './io.js';
import { Stop, type StopCode, stopped, whenStopped } from './stop.js';

export async function sendInSession(
  target: string,
  text: string,
  io: Io,
  replyRef?: string,
  allowV1 = false,
): Promise<SendResult> {
  const stop = whenStopped(io.signal);
  stop.catch(() => {});
  let abandoned = false;
  const opening = openMessenger(io, { connectEarly: 'send' });
  opening.then(
    (m) => abandoned && m.close(),
    () => {},
  ); // opened after a stop: closed, never used
  let messenger: Messenger;
  try {
    messenger = await Promise.race([opening, stop]);
  } catch (err) {
    abandoned = true;
    if (err instanceof Stop) throw stopped(err.code, 'before the message was queued: nothing was sent');
    throw err;
  }
  messenger.on('keyChanged', (c) => {
    if (c.accepted)
      warn(
        io,
        `${c.username}'s key changed from ${c.previous} to ${c.current}; accepted (trust-new-identities always)`,
      );
  });
  // Ctrl-C or SIGTERM before the relay confirmed the message (§9) withdraws it, as a failure to confirm does: a
  // cancelled `chat send` leaves nothing queued that a later command would send behind the user's back (hunt3). A
  // group send's entries stay queued, as they do when its send fails.
  const direct: string[] = [];
  if (!CONVERSATION.test(target)) messenger.on('queued', (msg) => direct.push(msg.id));
  const sending = sendWith(messenger, target, text, replyRef, allowV1);
  sending.catch(() => {}); // it settles after a stop too, once the connection is closed
  try {
    const result = await Promise.race([sending, stop]);
    if (result.type === 'direct' && result.version === 1)
      warn(io, `sent to ${result.to} as a v1 envelope (signed, no forward secrecy): v2 is not available`);
    return result;
  } catch (err) {
    if (err instanceof Stop) {
      // Confirmed already (the stop came while the send was closing its connection): it was sent, so it is reported
      // as sent, exit 0; a script must not send it again (review rev16).
      if (direct.length > 0 && direct.every((id) => messenger.store.outbox.get(id) === undefined)) return sending;
      throw afterStop(err.code, messenger, direct, CONVERSATION.test(target));
    }
    throw await withNextStep(err, target, messenger);
  } finally {
    messenger.close();
  }
}

/** What a stop while sending left: the direct message withdrawn if the relay had not confirmed it, said. */
function afterStop(code: StopCode, m: Messenger, direct: readonly string[], group: boolean): ChatError {
  if (group) {
    return stopped(
      code,
      'before the message was sent: a group message stays queued and goes with the next chat command',
    );
  }
  if (direct.length === 0) return stopped(code, 'before the message was queued: nothing was sent');
  const unconfirmed = direct.filter((id) => m.store.outbox.get(id) !== undefined);
  for (const id of unconfirmed) m.store.outbox.withdraw(id);
  return stopped(code, 'before the relay confirmed the message: it was withdrawn, nothing is left queued', {
    hint: 'the relay may or may not have stored it; running chat send again sends it as a new message (new id)',
  });
}

/** One send, as `chat send` and the daemon's `send` method do it; `replyRef` names the message answered (§17). */
export async function sendWith(
  m: Messenger,
  target: string,
  text: string,
  replyRef?: string,
  allowV1 = false,
): Promise<SendResult> {
  const replyTo = replyRef === undefined ? undefined : await replyTarget(m, target, replyRef);
  const reply = replyTo === undefined ? {} : { replyTo };
  if (CONVERSATION.test(target)) {
    const { sendToConversation } = await import('../engine/groups/conversation.js');
    const { to, result } = await sendToConversation(m, target, text, replyTo);
    return { type: 'conversation', to, stored: result.stored, failed: result.failed, ...reply };
  }
  const sent = await m.sendMessage(target, text, replyTo, { allowV1 });
  // No session with the peer after the send: it went as a v1 envelope (§24.2).
  const version = sent.to === m.username || m.store.v2.sessions(sent.to).length > 0 ? 2 : 1;
  return { type: 'direct', to: sent.to, id: sent.id, ts: sent.ts, state: 'sent', version, ...reply };
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
