/** Creator-bound group ids (PROTOCOL.md §15.1). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GROUP_ID_DOMAIN, groupIdBoundTo, newGroupId } from './group-id.js';

describe('group ids bound to their creator', () => {
  it('checks for the creator and for no one else, nor after any byte changes', () => {
    const gid = newGroupId('alice');
    expect(groupIdBoundTo(gid, 'alice')).toBe(true);
    expect(groupIdBoundTo(gid, 'mallory')).toBe(false);
    expect(groupIdBoundTo(gid, 'alice ')).toBe(false);
    for (let i = 0; i < 16; i++) {
      const bent = Uint8Array.from(gid);
      bent[i]! ^= 1;
      expect(groupIdBoundTo(bent, 'alice')).toBe(false);
    }
    expect(groupIdBoundTo(gid.subarray(0, 15), 'alice')).toBe(false);
  });

  it('matches the formula printed in PROTOCOL.md (a vector a stranger can check)', () => {
    const random = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const gid = newGroupId('alice', random);
    const tail = createHash('sha256').update(`${GROUP_ID_DOMAIN}`).update(random).update('alice').digest();
    expect(Buffer.from(gid).toString('hex')).toBe(`0102030405060708${tail.subarray(0, 8).toString('hex')}`);
    expect(Buffer.from(gid).toString('hex')).toMatchInlineSnapshot(`"010203040506070805291cd33a57f9db"`);
  });
});
