/**
 * A relay that withholds a user's prekeys (it answers `prekey_get` with NO_PREKEYS, §23.4), made of the relay's own
 * database rather than a stand-in for our Connection: the user's rows are taken out of relay.db (WAL, a second
 * connection next to the running relay) and put back unchanged by the function returned.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { expect } from 'vitest';

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
