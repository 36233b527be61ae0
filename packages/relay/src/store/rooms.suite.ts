import { describe, expect, it } from 'vitest';
import type { RoomStore } from './rooms.js';

/** The contract of `RoomStore` (§15.6) every engine meets; `open()` returns an empty one. */
export function describeRoomStore(name: string, open: () => Promise<RoomStore>): void {
  describe(`RoomStore contract: ${name}`, () => {
    it('joins up to max members, lets a member re-join, leaves, and lists by name', async () => {
      const rooms = await open();
      try {
        expect(await rooms.join('general', 'carol', 1, 2)).toBe(true);
        expect(await rooms.join('general', 'alice', 1, 2)).toBe(true);
        expect(await rooms.join('general', 'bob', 1, 2)).toBe(false);
        expect(await rooms.join('general', 'alice', 2, 2)).toBe(true);
        expect(await rooms.join('dev', 'bob', 1, 2)).toBe(true);
        expect(await rooms.members('general', 10)).toEqual(['alice', 'carol']);
        expect(await rooms.members('general', 1)).toEqual(['alice']);
        await rooms.leave('general', 'carol');
        expect(await rooms.join('general', 'bob', 3, 2)).toBe(true);
        expect(await rooms.members('general', 10)).toEqual(['alice', 'bob']);
      } finally {
        await rooms.close();
      }
    });
  });
}
