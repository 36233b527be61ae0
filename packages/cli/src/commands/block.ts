/**
 * `chat block <user>` / `chat unblock <user>` (issue 15, PROTOCOL.md §17.4): local only — nothing is sent, the user is
 * not told. They read and write the history database alone (no connection, no passphrase), or, while `chat daemon`
 * runs, ask it (`block` / `unblock`, docs/JSONRPC.md), so that its session sends what an unblock releases at once.
 */
import { normalizeUsername } from '../engine/username.js';
import { Profile } from '../engine/profile.js';
import { withDaemonOr } from './attach.js';
import { printJson, type Io } from './io.js';
import { openStore } from './open-store.js';

export interface BlockArgs {
  username: string;
  json?: boolean;
}

/** What both commands print with --json, and what the daemon's methods return. */
interface BlockChange {
  username: string;
  blocked: boolean;
  changed: boolean;
  /** Our texts and replies to them still queued: held while they are blocked, sent after the unblock (§17.4). */
  queued: string[];
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
  const answer = await withDaemonOr<BlockChange>(io, blocked ? 'block' : 'unblock', { recipient: user }, async () => {
    const store = await openStore(io, profile);
    try {
      const changed = blocked ? store.blocked.block(user, Date.now()) : store.blocked.unblock(user);
      return { username: user, blocked, changed, queued: store.blocked.queuedFor(user) };
    } finally {
      store.close();
    }
  });
  // A daemon started from a build before the hold (stop 27) answers without `queued`: it holds nothing (it still sends
  // what was queued before a block); restarting it brings the hold.
  const r: BlockChange = { ...answer, queued: answer.queued ?? [] };
  if (args.json) printJson(io, r);
  else {
    const n = r.queued.length;
    io.stdout.write(`${blocked ? blockedText(user, r.changed, n) : unblockedText(user, r.changed, n)}\n`);
  }
  return 0;
}

/** `n` queued messages, in words. */
const messages = (n: number): string => (n === 1 ? '1 queued message' : `${n} queued messages`);

/**
 * What `chat block` and the session's `/block` say: that the block took effect (or was there already), and how many
 * of our messages to the user it holds (§17.4: queued, not sent while they are blocked).
 */
export function blockedText(user: string, changed: boolean, held: number): string {
  const head = changed
    ? `blocked ${user}: nothing from them is stored or shown, nothing goes back to them`
    : `${user} was already blocked`;
  return held === 0 ? head : `${head}; ${messages(held)} to them held until you unblock them`;
}

/**
 * What `chat unblock` and `/unblock` say, and how many messages are no longer held: they go with the outbox's next
 * pass (at once in a connected session or daemon, else with the next connection).
 */
export function unblockedText(user: string, changed: boolean, held: number): string {
  if (!changed) return `${user} was not blocked`;
  return held === 0 ? `unblocked ${user}` : `unblocked ${user}; ${messages(held)} to them no longer held`;
}
