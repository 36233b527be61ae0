import type pg from 'pg';
import type { RoomStore } from './rooms.js';
import { transaction } from './postgres-pool.js';

/** Room members (§15.6) in the `room_members` table of the relay's PostgreSQL database. */
export class PgRoomStore implements RoomStore {
  constructor(private readonly pool: pg.Pool) {}

  async members(room: string, limit: number): Promise<string[]> {
    const r = await this.pool.query(
      'SELECT username FROM room_members WHERE room = $1 ORDER BY username COLLATE "C" LIMIT $2',
      [room, limit],
    );
    return (r.rows as { username: string }[]).map((x) => x.username);
  }

  async join(room: string, user: string, now: number, max: number): Promise<boolean> {
    return transaction(this.pool, async (c) => {
      // One joiner of a room at a time (across relays too), so the room never passes `max`.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('room:' || $1))", [room]);
      const r = await c.query(
        'SELECT count(*) AS n, bool_or(username = $2) AS member FROM room_members WHERE room = $1',
        [room, user],
      );
      const { n, member } = r.rows[0] as { n: number; member: boolean | null };
      if (n >= max && member !== true) return false;
      await c.query('INSERT INTO room_members (room, username, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        room,
        user,
        now,
      ]);
      return true;
    });
  }

  async leave(room: string, user: string): Promise<void> {
    await this.pool.query('DELETE FROM room_members WHERE room = $1 AND username = $2', [room, user]);
  }

  /** The pool is the mailbox store's, closed with it. */
  async close(): Promise<void> {}
}
