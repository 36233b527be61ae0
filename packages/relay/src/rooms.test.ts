/** Public rooms (PROTOCOL.md §15.6): the registry's rules, and the `rooms` configuration key. */
import { describe, expect, it } from 'vitest';
import { MAX_ROOM_MEMBERS } from '@chat/protocol';
import { ConfigError, resolveConfig } from './config.js';
import { RoomRegistry, answerRoomFrame } from './rooms.js';
import { SqliteRoomStore } from './store/sqlite-rooms.js';

describe('RoomRegistry', () => {
  it('refuses the member after MAX_ROOM_MEMBERS with FORBIDDEN, but lets a member re-join', async () => {
    const rooms = new RoomRegistry(new SqliteRoomStore(':memory:'), ['general']);
    for (let i = 0; i < MAX_ROOM_MEMBERS; i++) expect(await rooms.join('general', `user${i}`, 1)).toBe(true);
    expect(
      await answerRoomFrame(rooms, 'latecomer', { t: 'room', rid: 1, op: 'join', room: 'general' }, 1),
    ).toMatchObject({
      t: 'err',
      code: 'FORBIDDEN',
      rid: 1,
    });
    expect(await rooms.join('general', 'user0', 2)).toBe(true);
    await rooms.leave('general', 'user0');
    expect(
      await answerRoomFrame(rooms, 'latecomer', { t: 'room', rid: 2, op: 'join', room: 'general' }, 3),
    ).toMatchObject({
      t: 'room_members',
      rid: 2,
    });
    await rooms.close();
  });

  it('refuses invalid room names at construction', () => {
    expect(() => new RoomRegistry(new SqliteRoomStore(':memory:'), ['General'])).toThrow(RangeError);
  });
});

describe('the rooms setting', () => {
  it('defaults to general and is read from CHAT_RELAY_ROOMS (a leading # allowed)', () => {
    expect(resolveConfig({ env: { HOME: '/home/x' }, flags: new Map() }).config.rooms).toEqual(['general']);
    expect(
      resolveConfig({ env: { HOME: '/home/x', CHAT_RELAY_ROOMS: '#general, dev' }, flags: new Map() }).config.rooms,
    ).toEqual(['general', 'dev']);
  });

  it('refuses a bad room name', () => {
    expect(() => resolveConfig({ env: { HOME: '/home/x', CHAT_RELAY_ROOMS: 'ok,Not OK' }, flags: new Map() })).toThrow(
      ConfigError,
    );
  });
});
