/**
 * Methods on messages (docs/JSONRPC.md, "Messages"): edit (`send` with `editId`), `sendReaction`, `remoteDelete`,
 * `deleteForMe`, `sendReceipt`, `sendTyping`, `history` of one conversation and `search`. Each calls what `chat edit`,
 * `chat react`, `chat delete`, `chat history`, `chat search` and the interactive session call.
 */
import { conversationKey, history, search } from '../engine/actions/history.js';
import {
  deleteMessage,
  editMessage,
  locate,
  reactToMessage,
  type ActionOutcome,
  type ActionsContext,
} from '../engine/actions/send.js';
import { ChatError } from '../engine/errors.js';
import type { Messenger } from '../engine/messenger.js';
import { normalizeUsername } from '../engine/username.js';
import type { Register } from './register.js';
import {
  intParam,
  optionalBoolean,
  optionalString,
  optionalTarget,
  stringParam,
  targetParam,
  type Params,
} from './params.js';
import { actionResult, historyEntry } from './results.js';

type MessagesEngine = ActionsContext & Pick<Messenger, 'store' | 'markRead' | 'sendTyping'>;

export function registerMessageMethods(method: Register<MessagesEngine>): void {
  method('sendReaction', ({ engine }, p) => {
    const id = targetId(engine, p);
    // signal-cli's `remove` names the emoji taken back; one reaction per person (§17), so any emoji removes ours.
    const remove = optionalBoolean(p, 'remove') === true;
    if (remove) optionalString(p, 'emoji'); // checked for its type only
    const emoji = remove ? '' : stringParam(p, 'emoji');
    return actionAnswer(reactToMessage(engine, id, emoji));
  });
  method('remoteDelete', ({ engine }, p) => actionAnswer(deleteMessage(engine, targetId(engine, p))));
  method('deleteForMe', ({ engine }, p) => actionAnswer(deleteMessage(engine, targetId(engine, p, true), true)));
  method('sendReceipt', ({ engine }, p) => {
    const type = optionalString(p, 'type') ?? 'read';
    if (type !== 'read') throw new ChatError('USAGE', `params.type: only "read" receipts are sent, got ${type}`);
    // The session's rule: opening a conversation marks all of it read (§4.1); receipts go unless turned off.
    return { ids: engine.markRead(normalizeUsername(stringParam(p, 'recipient'))) };
  });
  method('sendTyping', async ({ engine }, p) => {
    const stop = optionalBoolean(p, 'stop') === true;
    // Typing is ephemeral (§4.1): false when it was not sent (no live session, settings off, blocked, untrusted).
    return { sent: await engine.sendTyping(normalizeUsername(stringParam(p, 'recipient')), !stop) };
  });
  method('search', ({ engine }, p) => {
    const where = optionalTarget(p);
    const limit = intParam(p, 'limit', 1, 10_000);
    const entries = search(engine, stringParam(p, 'text'), {
      ...(where === undefined ? {} : { in: where }),
      ...(limit === undefined ? {} : { limit }),
    });
    const nicknames = engine.store.nicknames.all();
    return entries.map((e) => historyEntry(e, nicknames));
  });
}

/** `send` with `editId`: `chat edit <id> <message>` (§17.3). */
export function editWithSend(engine: MessagesEngine, p: Params, message: string): Promise<unknown> {
  const id = checkedId(engine, p, stringParam(p, 'editId'));
  return actionAnswer(editMessage(engine, id, message));
}

/** `history` with `recipient` / `groupId`: `chat history <target> --json`, `limit` and `before` as its options. */
export function conversationHistory(engine: Pick<Messenger, 'username' | 'store'>, p: Params): unknown {
  const target = targetParam(p);
  const limit = intParam(p, 'limit', 1, 10_000);
  const before = optionalString(p, 'before');
  const { entries } = history(engine, target, {
    ...(limit === undefined ? {} : { limit }),
    ...(before === undefined ? {} : { before }),
  });
  const nicknames = engine.store.nicknames.all();
  return entries.map((e) => historyEntry(e, nicknames));
}

/** `targetId` (a message id or a unique prefix), in the conversation `recipient` / `groupId` name when given. */
function targetId(engine: MessagesEngine, p: Params, forMe = false): string {
  return checkedId(engine, p, stringParam(p, 'targetId'), forMe);
}

function checkedId(engine: MessagesEngine, p: Params, id: string, forMe = false): string {
  const target = optionalTarget(p);
  if (target === undefined) return id; // the id alone names the conversation, as `chat edit <id>` takes it
  const at = locate(engine, id, forMe);
  if (at.target.conv !== conversationKey(engine, target).conv)
    throw new ChatError('NO_SUCH_MESSAGE', `message ${at.target.id} is not in the conversation with ${target}`, {
      hint: `history with recipient ${target} lists the ids there`,
    });
  return at.target.id;
}

/** The action's result, with the members a group action did not reach (the CLI warns about them on stderr). */
async function actionAnswer(outcome: Promise<ActionOutcome>) {
  const out = await outcome;
  return { ...actionResult(out), failed: out.result?.failed ?? [] };
}
