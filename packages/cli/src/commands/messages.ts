/**
 * `chat edit`, `chat delete`, `chat react` (PROTOCOL.md §17: queued and sent like a message, exit 0 once the relay
 * stored them). `chat history` and `chat search` are in history.ts: they load none of the sending side.
 */
import type { ActionOutcome } from '../engine/actions/send.js';
import type { FanoutResult } from '../engine/events.js';
import { inertLine } from '../terminal-text.js';
import { attachDaemon } from './attach.js';
import { openMessenger } from './common.js';
import { actionResult } from '../daemon/results.js';
import { printJson, warn, type Io } from './io.js';
import { messageText } from './send.js';

export interface EditArgs {
  id: string;
  message?: readonly (string | number)[] | undefined;
  json?: boolean;
}

export async function edit(args: EditArgs, io: Io): Promise<number> {
  const text = await messageText(args.message ?? [], io);
  return withActions(io, args.json, 'edited', (a, m) => a.editMessage(m, args.id, text), [
    'send',
    { editId: args.id, message: text },
  ]);
}

export interface DeleteArgs {
  id: string;
  forMe?: boolean;
  json?: boolean;
}

export async function del(args: DeleteArgs, io: Io): Promise<number> {
  return withActions(
    io,
    args.json,
    args.forMe ? 'deleted for you' : 'deleted for everyone',
    (a, m) => a.deleteMessage(m, args.id, args.forMe === true),
    [args.forMe ? 'deleteForMe' : 'remoteDelete', { targetId: args.id }],
  );
}

export interface ReactArgs {
  id: string;
  emoji?: string | undefined;
  json?: boolean;
}

export async function react(args: ReactArgs, io: Io): Promise<number> {
  const emoji = args.emoji ?? '';
  return withActions(
    io,
    args.json,
    emoji === '' ? 'reaction removed' : 'reacted',
    (a, m) => a.reactToMessage(m, args.id, emoji),
    ['sendReaction', emoji === '' ? { targetId: args.id, remove: true } : { targetId: args.id, emoji }],
  );
}

async function withActions(
  io: Io,
  json: boolean | undefined,
  what: string,
  f: (
    a: typeof import('../engine/actions/send.js'),
    m: Awaited<ReturnType<typeof openMessenger>>,
  ) => Promise<ActionOutcome>,
  /** The same action as a daemon method (docs/JSONRPC.md), used while `chat daemon` runs. */
  [method, params]: [string, Record<string, unknown>],
): Promise<number> {
  const daemon = await attachDaemon(io);
  let out: ActionOutcome;
  if (daemon) {
    try {
      const r = await daemon.request<ReturnType<typeof actionResult> & { failed: FanoutResult['failed'] }>(
        method,
        params,
      );
      out = { ...r, result: { stored: [], failed: r.failed } };
    } finally {
      daemon.close();
    }
  } else {
    const actions = await import('../engine/actions/send.js');
    const messenger = await openMessenger(io, { connectEarly: 'send' });
    try {
      out = await f(actions, messenger);
    } finally {
      messenger.close();
    }
  }
  for (const x of out.result?.failed ?? []) warn(io, `not delivered to ${x.to}: ${x.code}`);
  if (json) printJson(io, actionResult(out));
  else io.stdout.write(`${what}: ${out.target} (${inertLine(out.conv)})\n`);
  return 0;
}
