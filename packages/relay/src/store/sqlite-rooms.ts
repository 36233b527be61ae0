import Database from 'better-sqlite3-multiple-ciphers';
import type { RoomStore } from './rooms.js';

/**
 * Room members in their own SQLite file (`rooms.db`, apart from the mailbox database so neither schema depends on the
 * other). Synchronous inside each call, like the other SQLite stores.
 */
export class SqliteRoomStore implements RoomStore {
  private readonly db: Database.Database;
  private readonly stmts;

  /** `file` is a SQLite path (or `:memory:`). */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS room_members (
      room TEXT NOT NULL, username TEXT NOT NULL, joined_at INTEGER NOT NULL, PRIMARY KEY (room, username)) STRICT`);
    this.stmts = {
      join: this.db.prepare('INSERT OR IGNORE INTO room_members (room, username, joined_at) VALUES (?, ?, ?)'),
      leave: this.db.prepare('DELETE FROM room_members WHERE room = ? AND username = ?'),
      members: this.db.prepare('SELECT username FROM room_members WHERE room = ? ORDER BY username LIMIT ?').pluck(),
      isMember: this.db.prepare('SELECT 1 FROM room_members WHERE room = ? AND username = ?').pluck(),
      count: this.db.prepare('SELECT count(*) FROM room_members WHERE room = ?').pluck(),
    };
  }

  async members(room: string, limit: number): Promise<string[]> {
    return this.stmts.members.all(room, limit) as string[];
  }

  async join(room: string, user: string, now: number, max: number): Promise<boolean> {
    if ((this.stmts.count.get(room) as number) >= max && this.stmts.isMember.get(room, user) === undefined)
      return false;
    this.stmts.join.run(room, user, now);
    return true;
  }

  async leave(room: string, user: string): Promise<void> {
    this.stmts.leave.run(room, user);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
