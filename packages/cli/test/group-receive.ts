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

/**
 * Takes the newest `count` envelopes out of `user`'s mailbox on the running relay whose data directory is `relayDir`
 * (its own database, WAL, a second connection: the relay's triggers keep its counters right), oldest first: a relay
 * that withholds what it reported stored, so that the test can deliver them later in another order.
 */
export function takeFromMailbox(relayDir: string, user: string, count: number): { id: Uint8Array; env: Uint8Array }[] {
  const db = new Database(join(relayDir, 'relay.db'));
  try {
    return db.transaction(() => {
      const rows = db
        .prepare('SELECT seq, id, envelope FROM envelopes WHERE recipient = ? ORDER BY seq DESC LIMIT ?')
        .all(user, count) as { seq: number; id: Buffer; envelope: Buffer }[];
      const del = db.prepare('DELETE FROM envelopes WHERE seq = ?');
      for (const r of rows) del.run(r.seq);
      return rows.reverse().map((r) => ({ id: new Uint8Array(r.id), env: new Uint8Array(r.envelope) }));
    })();
  } finally {
    db.close();
  }
}
