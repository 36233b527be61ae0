/**
 * Who has joined which public room (PROTOCOL.md §15.6): the one piece of room state, kept durably by each engine
 * (SQLite: `rooms.db` in the data directory; PostgreSQL: a table beside the mailboxes). The advertised room names come
 * from the relay's config, not from here (`RoomRegistry`, rooms.ts).
 */
export interface RoomStore {
  /** Up to `limit` members of `room`, by name. */
  members(room: string, limit: number): Promise<string[]>;
  /** Adds `user` unless the room already has `max` members (joining twice is a no-op and succeeds). */
  join(room: string, user: string, now: number, max: number): Promise<boolean>;
  leave(room: string, user: string): Promise<void>;
  close(): Promise<void>;
}
