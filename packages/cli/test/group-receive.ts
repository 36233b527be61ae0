/**
 * What the group sender-key tests (packages/cli/src/engine/groups/sender-key*.test.ts) share: one receive that
 * reports what a `chat recv` would show, and a look at a mailbox on the relay through a copy of its data directory,
 * as an attacker holding such a copy would see it.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { GroupMessage } from '../src/engine/events.js';
import type { Messenger } from '../src/engine/messenger.js';

/** One receive of `m`: the group texts shown, the rejection codes, the duplicates counted. */
export async function receiveGroup(m: Messenger): Promise<{ texts: string[]; rejected: string[]; duplicates: number }> {
  const got: GroupMessage[] = [];
  const rejected: string[] = [];
  const onGroup = (x: GroupMessage): void => void got.push(x);
  const onRejected = (r: { code: string }): void => void rejected.push(r.code);
  m.on('groupMessage', onGroup);
  m.on('rejected', onRejected);
  try {
    const summary = await m.receive();
    return {
      texts: got.filter((x) => x.kind === 'group').map((x) => x.body),
      rejected,
      duplicates: summary.duplicates,
    };
  } finally {
    m.off('groupMessage', onGroup);
    m.off('rejected', onRejected);
  }
}

let copies = 0;
/** `user`'s mailbox on the relay whose data directory is `relayDir`, oldest first, read from a fresh copy in `scratch`. */
export function relayMailbox(relayDir: string, scratch: string, user: string): { id: Uint8Array; env: Uint8Array }[] {
  const into = join(scratch, `relay-copy-${copies++}`);
  mkdirSync(into, { recursive: true });
  for (const f of ['relay.db', 'relay.db-wal', 'relay.db-shm']) {
    if (existsSync(join(relayDir, f))) copyFileSync(join(relayDir, f), join(into, f));
  }
  const db = new Database(join(into, 'relay.db'));
  try {
    const rows = db.prepare('SELECT id, envelope FROM envelopes WHERE recipient = ? ORDER BY seq').all(user) as {
      id: Buffer;
      envelope: Buffer;
    }[];
    return rows.map((r) => ({ id: new Uint8Array(r.id), env: new Uint8Array(r.envelope) }));
  } finally {
    db.close();
  }
}
