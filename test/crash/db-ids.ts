/** The crash tests' view of a SQLite file (the relay's or a client's), read-only, after a kill. */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CHAT_BIN } from '../e2e/harness.js';

// better-sqlite3 is the relay's and the client's dependency, not the root's: load it from the relay package.
interface Db {
  prepare(sql: string): { pluck(): { all(): unknown[] } };
  close(): void;
}
const Database = createRequire(join(CHAT_BIN, '../../../../relay/package.json'))('better-sqlite3') as new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => Db;

/** The ids `sql` selects from `file` (one column, text or blob), as hex strings. */
export function ids(file: string, sql: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
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
