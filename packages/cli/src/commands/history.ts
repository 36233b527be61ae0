/**
 * `chat history` and `chat search`: the local history with edits, deletes, reactions and replies applied. No
 * connection and no passphrase: they read only the history database. Kept apart from messages.ts (edit, delete,
 * react), whose imports bring the sending side (connection, protocol codec, daemon client): these two load the store,
 * the history reader and the printing, and main.ts runs them without yargs (fast-path.ts), so that on a long history
 * they finish about as soon as Node has started (issue 15; docs/BENCHMARKS.md).
 */
import { existsSync } from 'node:fs';
import type { HistoryEntry } from '../engine/actions/history.js';
import { withNickname } from '../engine/contacts/nickname.js';
import { Profile } from '../engine/profile.js';
import type { Store } from '../engine/store/store.js';
import { historyEntry } from '../daemon/results.js';
import { formatEntry } from './history-format.js';
import { loadWrapFor, outputWidth } from './format.js';
import { printJson, type Io } from './io.js';
import { openStore } from './open-store.js';

/**
 * The page cache for these reads (Store.open `cacheKiB`): SQLite's own default, not the cipher's 16 MB. A search scans
 * every page once; a smaller cache is recycled instead of allocated page by page (docs/BENCHMARKS.md).
 */
const HISTORY_CACHE_KIB = 2_048;

export interface HistoryArgs {
  target: string;
  limit?: number | undefined;
  before?: string | undefined;
  json?: boolean;
}

export async function history(args: HistoryArgs, io: Io): Promise<number> {
  return withHistory(io, async (store, username) => {
    const h = await import('../engine/actions/history.js');
    const options = {
      ...(args.limit === undefined ? {} : { limit: args.limit }),
      ...(args.before === undefined ? {} : { before: args.before }),
    };
    const { entries } = h.history({ username, store }, args.target, options);
    await print(io, store, entries, args.json === true, false);
  });
}

export interface SearchArgs {
  text: readonly (string | number)[];
  in?: string | undefined;
  limit?: number | undefined;
  json?: boolean;
}

export async function search(args: SearchArgs, io: Io): Promise<number> {
  return withHistory(io, async (store, username) => {
    const h = await import('../engine/actions/history.js');
    const options = {
      ...(args.in === undefined ? {} : { in: args.in }),
      ...(args.limit === undefined ? {} : { limit: args.limit }),
    };
    const entries = h.search({ username, store }, args.text.map(String).join(' '), options);
    await print(io, store, entries, args.json === true, true);
  });
}

/**
 * The one place these commands open the history: NOT_LOGGED_IN before anything else (as every command that needs a
 * profile), nothing to show without a database, and the store closed whatever `f` does.
 */
async function withHistory(io: Io, f: (store: Store, username: string) => Promise<void>): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  const { username } = profile.requireConfig();
  if (!existsSync(profile.dbPath)) return 0;
  const store = await openStore(io, profile, undefined, { cacheKiB: HISTORY_CACHE_KIB });
  try {
    await f(store, username);
    return 0;
  } finally {
    store.close();
  }
}

/** JSON Lines (one entry each, `reply_to` as in `chat recv --json`), or the text form of history-format.ts. */
async function print(io: Io, store: Store, entries: HistoryEntry[], json: boolean, withConv: boolean): Promise<void> {
  // A local nickname (chat nick) goes beside the sender's username, never instead of it.
  const nicknames = store.nicknames.all();
  if (json) {
    for (const e of entries) printJson(io, historyEntry(e, nicknames));
    return;
  }
  await loadWrapFor(io.stdout);
  const width = outputWidth(io.stdout);
  // §17.1: the quote the engine resolved inside the entry's own conversation, never a global lookup by id.
  for (const e of entries)
    io.stdout.write(
      `${formatEntry({ ...e, from: withNickname(e.from, nicknames) }, () => e.quote, width, withConv)}\n`,
    );
}
