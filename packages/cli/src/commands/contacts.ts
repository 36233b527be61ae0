/** `chat contacts`: the pinned contacts (§3.4) with fingerprint, trust state and when each was first seen. */
import { existsSync } from 'node:fs';
import { Profile } from '../engine/profile.js';
import { formatLocalTime } from './format.js';
import { printJson, type Io } from './io.js';
import type { Contact } from '../engine/store/store.js';

export interface ContactsArgs {
  json?: boolean;
}

export async function contacts(args: ContactsArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  if (!existsSync(profile.dbPath)) return print(args, io, []);
  const { Store } = await import('../engine/store/store.js');
  const store = Store.open(profile.dbPath);
  try {
    return print(args, io, store.contacts.list());
  } finally {
    store.close();
  }
}

function print(args: ContactsArgs, io: Io, list: Contact[]): number {
  if (args.json) {
    for (const c of list) {
      printJson(io, {
        username: c.username,
        fingerprint: c.fingerprint,
        trust: c.trust,
        firstSeen: c.firstSeen,
        verifiedAt: c.verifiedAt,
        pendingFingerprint: c.pending?.fingerprint ?? null,
      });
    }
  } else if (list.length === 0) {
    io.stdout.write('no contacts yet (a contact is pinned the first time you send to or receive from them)\n');
  } else {
    const width = Math.max(...list.map((c) => c.username.length));
    for (const c of list) {
      io.stdout.write(
        `${c.username.padEnd(width)}  ${c.fingerprint}  ${c.trust.padEnd(10)}  first seen ${formatLocalTime(c.firstSeen)}\n`,
      );
      if (c.pending)
        io.stdout.write(
          `${''.padEnd(width)}  ${c.pending.fingerprint}  new key, not accepted (chat trust ${c.username})\n`,
        );
    }
  }
  return 0;
}
