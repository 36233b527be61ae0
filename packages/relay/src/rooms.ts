/**
 * Public rooms (PROTOCOL.md §15.6): the relay advertises named rooms from its config and keeps who has joined which,
 * durably, in a `RoomStore` (store/rooms.ts). The relay never sees a room message: senders fan out envelopes to the
 * members it lists.
 */
import { ROOM_NAME_PATTERN, MAX_ROOM_MEMBERS, errFrame, type RelayFrame, type RoomFrame } from '@chat/protocol';
import type { RoomStore } from './store/rooms.js';

export const DEFAULT_ROOMS: readonly string[] = Object.freeze(['general']);

/** True if `name` is a valid room name: `^[a-z][a-z0-9_-]{0,31}$`. */
export function isValidRoomName(name: unknown): name is string {
  return typeof name === 'string' && ROOM_NAME_PATTERN.test(name);
}

export class RoomRegistry {
  private readonly names: readonly string[];

  /** `rooms`: the advertised room names; `store` keeps their members. */
  constructor(
    private readonly store: RoomStore,
    rooms: readonly string[],
  ) {
    for (const r of rooms)
      if (!isValidRoomName(r)) throw new RangeError(`RoomRegistry: invalid room name ${JSON.stringify(r)}`);
    this.names = [...new Set(rooms)].sort();
  }

  list(): readonly string[] {
    return this.names;
  }

  has(room: string): boolean {
    return this.names.includes(room);
  }

  members(room: string): Promise<string[]> {
    return this.store.members(room, MAX_ROOM_MEMBERS);
  }

  /** Adds `user`; false if the room is full (MAX_ROOM_MEMBERS). Joining twice is a no-op. */
  join(room: string, user: string, now: number): Promise<boolean> {
    return this.store.join(room, user, now, MAX_ROOM_MEMBERS);
  }

  leave(room: string, user: string): Promise<void> {
    return this.store.leave(room, user);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Answers one `room` frame of `user` (§15.6). */
export async function answerRoomFrame(
  rooms: RoomRegistry,
  user: string,
  f: RoomFrame,
  now: number,
): Promise<RelayFrame> {
  if (f.op === 'list') return { t: 'rooms', rid: f.rid, names: [...rooms.list()] };
  if (f.room === undefined || !rooms.has(f.room)) {
    return errFrame('UNKNOWN_ROOM', `no room ${JSON.stringify(f.room ?? '')} on this relay`, f.rid);
  }
  if (f.op === 'join' && !(await rooms.join(f.room, user, now))) {
    return errFrame('FORBIDDEN', `room ${f.room} is full`, f.rid);
  }
  if (f.op === 'leave') await rooms.leave(f.room, user);
  return { t: 'room_members', rid: f.rid, room: f.room, users: await rooms.members(f.room) };
}
