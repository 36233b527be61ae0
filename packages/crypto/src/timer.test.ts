/** The §17.5 timer bodies: encode, parse, round trip, and every malformed shape refused with ENVELOPE_MALFORMED. */
import { describe, expect, it } from 'vitest';
import { MessageKind } from './constants.js';
import { MAX_TIMER_SECONDS, encodeTimer, parseTimer, timerProblem } from './timer.js';
import { toHex } from './bytes.js';

const gid = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('timer bodies (§17.5)', () => {
  it('encodes the seconds big-endian, after the group id for a group', () => {
    expect(toHex(encodeTimer(MessageKind.timer, { seconds: 3600 }))).toBe('00000e10');
    expect(toHex(encodeTimer(MessageKind.groupTimer, { gid, seconds: 0 }))).toBe(
      '000102030405060708090a0b0c0d0e0f00000000',
    );
    expect(parseTimer(MessageKind.timer, encodeTimer(MessageKind.timer, { seconds: MAX_TIMER_SECONDS }))).toEqual({
      seconds: MAX_TIMER_SECONDS,
    });
    expect(parseTimer(MessageKind.groupTimer, encodeTimer(MessageKind.groupTimer, { gid, seconds: 5 }))).toEqual({
      gid,
      seconds: 5,
    });
  });

  it('refuses a wrong length, more than a year, a missing group id', () => {
    expect(timerProblem(MessageKind.timer, new Uint8Array(3))).toMatch(/4-byte/);
    expect(timerProblem(MessageKind.timer, new Uint8Array(5))).toMatch(/4-byte/);
    expect(timerProblem(MessageKind.groupTimer, new Uint8Array(4))).toMatch(/16-byte group id/);
    const tooLong = new Uint8Array(4);
    new DataView(tooLong.buffer).setUint32(0, MAX_TIMER_SECONDS + 1);
    expect(timerProblem(MessageKind.timer, tooLong)).toMatch(/at most 31536000/);
    expect(() => parseTimer(MessageKind.timer, tooLong)).toThrow(
      expect.objectContaining({ code: 'ENVELOPE_MALFORMED' }),
    );
    expect(() => encodeTimer(MessageKind.timer, { seconds: -1 })).toThrow(RangeError);
    expect(() => encodeTimer(MessageKind.groupTimer, { seconds: 1 })).toThrow(RangeError);
  });
});
