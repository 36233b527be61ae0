/**
 * Public rooms (PROTOCOL.md §15.6): the relay advertises named rooms from its config and keeps who has joined which,
 * durably, in `rooms.db` in the data directory (apart from the mailbox database, so neither schema depends on the
 * other). The relay never sees a room message: senders fan out envelopes to the members it lists.
 */
import Database from 'better-sqlite3';
import { ROOM_NAME_PATTERN, MAX_ROOM_MEMBERS, errFrame, type RelayFrame, type RoomFrame } from '@chat/protocol';

export const DEFAULT_ROOMS: readonly string[] = Object.freeze(['general']);

/** True if `name` is a valid room name: `^[a-z][a-z0-9_-]{0,31}$`. */
export function isValidRoomName(name: unknown): name is string {
  return typeof name === 'string' && ROOM_NAME_PATTERN.test(name);
}

export class RoomRegistry {
  private readonly db: Database.Database;
  private readonly names: readonly string[];
  private readonly stmts;

  /** `file` is a SQLite path (or `:memory:`); `rooms` the advertised room names. */
  constructor(file: string, rooms: readonly string[]) {
    for (const r of rooms)
      if (!isValidRoomName(r)) throw new RangeError(`RoomRegistry: invalid room name ${JSON.stringify(r)}`);
    this.names = [...new Set(rooms)].sort();
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS room_members (
      room TEXT NOT NULL, username TEXT NOT NULL, joined_at INTEGER NOT NULL, PRIMARY KEY (room, username)) STRICT`);
    this.stmts = {
      join: this.db.prepare('INSERT OR IGNORE INTO room_members (room, username, joined_at) VALUES (?, ?, ?)'),
      leave: this.db.prepare('DELETE FROM room_members WHERE room = ? AND username = ?'),
      members: this.db.prepare('SELECT username FROM room_members WHERE room = ? ORDER BY username LIMIT ?').pluck(),
      count: this.db.prepare('SELECT count(*) FROM room_members WHERE room = ?').pluck(),
    };
  }

  list(): readonly string[] {
    return this.names;
  }

  has(room: string): boolean {
    return this.names.includes(room);
  }

  members(room: string): string[] {
    return this.stmts.members.all(room, MAX_ROOM_MEMBERS) as string[];
  }

  /** Adds `user`; false if the room is full (MAX_ROOM_MEMBERS). Joining twice is a no-op. */
  join(room: string, user: string, now: number): boolean {
    if ((this.stmts.count.get(room) as number) >= MAX_ROOM_MEMBERS && !this.members(room).includes(user)) return false;
    this.stmts.join.run(room, user, now);
    return true;
  }

  leave(room: string, user: string): void {
    this.stmts.leave.run(room, user);
  }

  close(): void {
    this.db.close();
  }
}

/** Answers one `room` frame of `user` (§15.6). */
export function answerRoomFrame(rooms: RoomRegistry, user: string, f: RoomFrame, now: number): RelayFrame {
  if (f.op === 'list') return { t: 'rooms', rid: f.rid, names: [...rooms.list()] };
  if (f.room === undefined || !rooms.has(f.room)) {
    return errFrame('UNKNOWN_ROOM', `no room ${JSON.stringify(f.room ?? '')} on this relay`, f.rid);
  }
  if (f.op === 'join' && !rooms.join(f.room, user, now)) {
    return errFrame('FORBIDDEN', `room ${f.room} is full`, f.rid);
  }
  if (f.op === 'leave') rooms.leave(f.room, user);
  return { t: 'room_members', rid: f.rid, room: f.room, users: rooms.members(f.room) };
}
