/**
 * Schema v11 (issue 15): local nicknames for other users, shown beside their username (never instead of it). Local
 * only: nothing is sent, the user is not told. Carried by `chat key export` (PROTOCOL.md §13.2).
 */
import type { Statements } from './statements.js';

export class NicknameTable {
  constructor(private readonly sql: Statements) {}

  /** Sets `user`'s nickname (replacing any). */
  set(user: string, nickname: string, now: number): void {
    this.sql
      .get(
        `INSERT INTO nicknames (username, nickname, set_at) VALUES (?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET nickname = excluded.nickname, set_at = excluded.set_at`,
      )
      .run(user, nickname, now);
  }

  /** Removes `user`'s nickname; true if there was one. */
  clear(user: string): boolean {
    return this.sql.get('DELETE FROM nicknames WHERE username = ?').run(user).changes === 1;
  }

  get(user: string): string | undefined {
    return (
      this.sql.get('SELECT nickname FROM nicknames WHERE username = ?').get(user) as { nickname: string } | undefined
    )?.nickname;
  }

  /** Every nickname, by username. */
  all(): Map<string, string> {
    const rows = this.sql.get('SELECT username, nickname FROM nicknames ORDER BY username').all() as {
      username: string;
      nickname: string;
    }[];
    return new Map(rows.map((r) => [r.username, r.nickname]));
  }
}
