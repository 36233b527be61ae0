/** `chat contacts`: the pinned contacts (§3.4) with fingerprint, trust state and when each was first seen. */
import { existsSync } from 'node:fs';
import { withNickname } from '../engine/contacts/nickname.js';
import { inertLine, isPrintableAscii } from '../terminal-text.js';
import { Profile } from '../engine/profile.js';
import { formatLocalTime } from './format.js';
import { printJson, type Io } from './io.js';
import { contactObject } from '../daemon/objects.js';
import type { Contact } from '../engine/store/store.js';
import { openStore } from './open-store.js';

export interface ContactsArgs {
  json?: boolean;
}

export async function contacts(args: ContactsArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  if (!existsSync(profile.dbPath)) return await print(args, io, [], new Set(), new Map());
  const store = await openStore(io, profile);
  try {
    const blocked = new Set(store.blocked.list().map((b) => b.username));
    return await print(args, io, store.contacts.list(), blocked, store.nicknames.all());
  } finally {
    store.close();
  }
}

/**
 * The contacts, and the blocked users (issue 15) among them or not: a blocked user need not have a pinned key. A local
 * nickname (chat nick) shows beside the username, made inert.
 */
async function print(
  args: ContactsArgs,
  io: Io,
  list: Contact[],
  blocked: ReadonlySet<string>,
  nicknames: ReadonlyMap<string, string>,
): Promise<number> {
  const unpinned = [...blocked].filter((u) => !list.some((c) => c.username === u));
  if (args.json) {
    for (const c of list) {
      printJson(io, {
        ...contactObject(c),
        blocked: blocked.has(c.username),
        // Only when set: a script that compares whole objects sees no change without nicknames.
        ...(nicknames.has(c.username) ? { nickname: nicknames.get(c.username) } : {}),
      });
    }
    for (const u of unpinned) {
      const nickname = nicknames.get(u);
      printJson(io, { username: u, blocked: true, ...(nickname === undefined ? {} : { nickname }) });
    }
    return 0;
  }
  const label = (u: string): string => inertLine(withNickname(u, nicknames));
  const labels = [...list.map((c) => c.username), ...unpinned].map(label);
  // string-width's tables take 50-80 ms to load (issue 15): only for a label that is not all printable ASCII.
  const measure = labels.every(isPrintableAscii) ? (l: string) => l.length : (await import('string-width')).default;
  const width = Math.max(0, ...labels.map((l) => measure(l)));
  const pad = (u: string): string => label(u) + ' '.repeat(width - measure(label(u)));
  for (const u of unpinned) io.stdout.write(`${pad(u)}  blocked (no key pinned)\n`);
  if (list.length === 0 && unpinned.length === 0) {
    io.stdout.write('no contacts yet (a contact is pinned the first time you send to or receive from them)\n');
  } else {
    for (const c of list) {
      io.stdout.write(
        `${pad(c.username)}  ${c.fingerprint}  ${c.trust.padEnd(10)}  first seen ${formatLocalTime(c.firstSeen)}${blocked.has(c.username) ? '  blocked' : ''}\n`,
      );
      if (c.pending)
        io.stdout.write(
          `${''.padEnd(width)}  ${c.pending.fingerprint}  new key, not accepted (chat trust ${c.username})\n`,
        );
    }
  }
  return 0;
}
