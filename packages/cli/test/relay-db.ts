/**
 * A relay that misbehaves on demand, made of the running relay's own database rather than a stand-in for our
 * Connection: rows are taken out of relay.db (WAL, a second connection next to the relay; its triggers keep the
 * mailbox counters right).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { expect } from 'vitest';

/** The relay withholds `user`'s prekeys (NO_PREKEYS, §23.4) until the function returned puts them back unchanged. */
export function withholdPrekeys(relayDir: string, user: string): () => void {
  const db = new Database(join(relayDir, 'relay.db'));
  const held = db.prepare('SELECT * FROM prekeys WHERE owner = ? ORDER BY seq').all(user) as Record<string, unknown>[];
  expect(held.length).toBeGreaterThan(0); // else nothing is withheld and the test proves nothing
  db.prepare('DELETE FROM prekeys WHERE owner = ?').run(user);
  return () => {
    const put = db.prepare(
      'INSERT INTO prekeys (seq, owner, type, key_id, key, sig) VALUES (@seq, @owner, @type, @key_id, @key, @sig)',
    );
    for (const row of held) put.run(row);
    db.close();
  };
}

/**
 * Takes the newest `count` envelopes out of `user`'s mailbox on the relay whose data directory is `relayDir`, oldest
 * first: a relay that withholds what it reported stored, so that the test can deliver them later in another order.
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
