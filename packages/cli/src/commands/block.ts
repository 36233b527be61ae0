/**
 * `chat block <user>` / `chat unblock <user>` (issue 15, PROTOCOL.md §17.4): local only — nothing is sent, the user is
 * not told. They read and write the history database alone: no connection, no passphrase.
 */
import { normalizeUsername } from '../engine/username.js';
import { Profile } from '../engine/profile.js';
import { printJson, type Io } from './io.js';
import { openStore } from './open-store.js';

export interface BlockArgs {
  username: string;
  json?: boolean;
}

export function block(args: BlockArgs, io: Io): Promise<number> {
  return change(args, io, true);
}

export function unblock(args: BlockArgs, io: Io): Promise<number> {
  return change(args, io, false);
}

async function change(args: BlockArgs, io: Io, blocked: boolean): Promise<number> {
  const user = normalizeUsername(args.username);
  const profile = Profile.fromEnv(io.env);
  profile.requireConfig();
  const store = await openStore(io, profile);
  try {
    if (!blocked) {
      const changed = store.blocked.unblock(user);
      if (args.json) printJson(io, { username: user, blocked, changed });
      else io.stdout.write(changed ? `unblocked ${user}\n` : `${user} was not blocked\n`);
      return 0;
    }
    const { changed, unsent } = store.blocked.block(user, Date.now());
    if (args.json) printJson(io, { username: user, blocked, changed, unsent });
    else io.stdout.write(`${blockedText(user, changed, unsent.length)}\n`);
    return 0;
  } finally {
    store.close();
  }
}

/**
 * What `chat block` and the session's `/block` say: that the block took effect (or was there already), and how many
 * queued messages to the user it withdrew (§17.4: they are not sent; the history shows them failed).
 */
export function blockedText(user: string, changed: boolean, unsent: number): string {
  const head = changed
    ? `blocked ${user}: nothing from them is stored or shown, nothing goes back to them`
    : `${user} was already blocked`;
  if (unsent === 0) return head;
  return `${head}; ${unsent === 1 ? '1 queued message' : `${unsent} queued messages`} to them will not be sent (marked failed)`;
}
