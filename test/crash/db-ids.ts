/** The crash tests' view of a SQLite file (the relay's or a client's), read-only, after a kill. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { CHAT_BIN } from '../e2e/harness.js';
import { openProfileDb } from '../helpers/profile-db.js';

// The SQLite binding is the relay's dependency, not the root's: load it from the relay package.
interface Db {
  prepare(sql: string): { pluck(): { all(): unknown[] } };
  close(): void;
}
const Database = createRequire(join(CHAT_BIN, '../../../../relay/package.json'))(
  'better-sqlite3-multiple-ciphers',
) as new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => Db;

/**
 * The ids `sql` selects from `file` (one column, text or blob), as hex strings. A client's chat.db (beside its
 * identity.json) is encrypted under the profile's storage key (PROTOCOL.md §13.3) and opened with it.
 */
export function ids(file: string, sql: string): Set<string> {
  const home = dirname(file);
  const client = basename(file) === 'chat.db' && existsSync(join(home, 'identity.json'));
  const db = client
    ? openProfileDb(home, { readonly: true })
    : new Database(file, { readonly: true, fileMustExist: true });
  try {
    return new Set(
      (db.prepare(sql).pluck().all() as (string | Buffer)[]).map((v) =>
        typeof v === 'string' ? v : v.toString('hex'),
      ),
    );
  } finally {
    db.close();
  }
}
