/**
 * `chat nick <user> <name…>` / `chat nick <user> --clear` (issue 15): a local nickname, shown beside the username
 * (never instead of it) by `chat contacts`, `chat recv`, `chat history` and the session. Local only: nothing is sent.
 * Reads and writes the history database alone: no connection, no passphrase.
 */
import { checkNickname, withNickname } from '../engine/contacts/nickname.js';
import { ChatError } from '../engine/errors.js';
import { Profile } from '../engine/profile.js';
import { normalizeUsername } from '../engine/username.js';
import { inertLine } from '../terminal-text.js';
import { printJson, type Io } from './io.js';
import { openStore } from './open-store.js';

export interface NickArgs {
  username: string;
  name?: readonly (string | number)[] | undefined;
  clear?: boolean;
  json?: boolean;
}

export async function nick(args: NickArgs, io: Io): Promise<number> {
  const user = normalizeUsername(args.username);
  const words = (args.name ?? []).map(String);
  if (args.clear && words.length > 0)
    throw new ChatError('USAGE', 'give a nickname or --clear, not both', { hint: `chat nick ${user} --clear` });
  const name = words.length > 0 ? checkNickname(words.join(' ')) : undefined;
  const profile = Profile.fromEnv(io.env);
  profile.requireConfig();
  const store = await openStore(io, profile);
  try {
    let changed = false;
    if (name !== undefined) {
      changed = store.nicknames.get(user) !== name;
      store.nicknames.set(user, name, Date.now());
    } else if (args.clear) changed = store.nicknames.clear(user);
    const current = store.nicknames.get(user);
    if (args.json) printJson(io, { username: user, nickname: current ?? null, changed });
    else if (current !== undefined)
      io.stdout.write(`${user} is shown as ${inertLine(withNickname(user, new Map([[user, current]])))}\n`);
    else io.stdout.write(args.clear && !changed ? `${user} had no nickname\n` : `${user} has no nickname\n`);
    return 0;
  } finally {
    store.close();
  }
}
