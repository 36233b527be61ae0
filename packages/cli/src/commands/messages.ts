/**
 * `chat edit`, `chat delete`, `chat react` (PROTOCOL.md §17: queued and sent like a message, exit 0 once the relay
 * stored them) and `chat history`, `chat search` (the local history with everything applied; no connection, no
 * passphrase: they read only the history database).
 */
import { existsSync } from 'node:fs';
import type { HistoryEntry } from '../engine/actions/history.js';
import { withNickname } from '../engine/contacts/nickname.js';
import type { ActionOutcome } from '../engine/actions/send.js';
import type { FanoutResult } from '../engine/events.js';
import { Profile } from '../engine/profile.js';
import type { Store } from '../engine/store/store.js';
import { inertLine } from '../terminal-text.js';
import { attachDaemon } from './attach.js';
import { openMessenger } from './common.js';
import { actionResult, historyEntry } from '../daemon/results.js';
import { formatEntry } from './history-format.js';
import { outputWidth } from './format.js';
import { printJson, warn, type Io } from './io.js';
import { messageText } from './send.js';
import { openStore } from './open-store.js';

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

export interface HistoryArgs {
  target: string;
  limit?: number | undefined;
  before?: string | undefined;
  json?: boolean;
}

export async function history(args: HistoryArgs, io: Io): Promise<number> {
  return withStore(io, async (store) => {
    const h = await import('../engine/actions/history.js');
    const username = Profile.fromEnv(io.env).requireConfig().username;
    const options = {
      ...(args.limit === undefined ? {} : { limit: args.limit }),
      ...(args.before === undefined ? {} : { before: args.before }),
    };
    const { entries } = h.history({ username, store }, args.target, options);
    print(io, store, entries, args.json === true, false);
  });
}

export interface SearchArgs {
  text: readonly (string | number)[];
  in?: string | undefined;
  limit?: number | undefined;
  json?: boolean;
}

export async function search(args: SearchArgs, io: Io): Promise<number> {
  return withStore(io, async (store) => {
    const h = await import('../engine/actions/history.js');
    const username = Profile.fromEnv(io.env).requireConfig().username;
    const options = {
      ...(args.in === undefined ? {} : { in: args.in }),
      ...(args.limit === undefined ? {} : { limit: args.limit }),
    };
    const entries = h.search({ username, store }, args.text.map(String).join(' '), options);
    print(io, store, entries, args.json === true, true);
  });
}

async function withStore(io: Io, f: (store: Store) => Promise<void>): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  profile.requireConfig(); // NOT_LOGGED_IN before anything else, as every command that needs a profile
  if (!existsSync(profile.dbPath)) return 0;
  const store = await openStore(io, profile);
  try {
    await f(store);
    return 0;
  } finally {
    store.close();
  }
}

/** JSON Lines (one entry each, `reply_to` as in `chat recv --json`), or the text form of history-format.ts. */
function print(io: Io, store: Store, entries: HistoryEntry[], json: boolean, withConv: boolean): void {
  // A local nickname (chat nick) goes beside the sender's username, never instead of it.
  const nicknames = store.nicknames.all();
  if (json) {
    for (const e of entries) printJson(io, historyEntry(e, nicknames));
    return;
  }
  // §17.1: the quote the engine resolved inside the entry's own conversation, never a global lookup by id.
  for (const e of entries)
    io.stdout.write(
      `${formatEntry({ ...e, from: withNickname(e.from, nicknames) }, () => e.quote, outputWidth(io.stdout), withConv)}\n`,
    );
}
