/**
 * Prepared statements by SQL text, prepared once per database connection. `db.prepare` parses and plans the SQL
 * every time; on the receive path (several statements per message, thousands of messages at login) that was a
 * measurable share of the work.
 */
import type Database from 'better-sqlite3';

export class Statements {
  readonly #cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** The statement for `sql`, prepared on first use. Only for fixed SQL text (never with values spliced in). */
  get(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }
}
