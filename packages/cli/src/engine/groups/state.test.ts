/** The membership rules of PROTOCOL.md §15.4, case by case. */
import { newGroupId, type GroupRecord } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { checkRecord, nextState } from './state.js';

const c: GroupRecord = {
  gid: new Uint8Array(16),
  version: 4,
  op: 'add',
  subject: 'carol',
  name: 'team',
  members: [
    { user: 'alice', admin: true },
    { user: 'bob', admin: false },
    { user: 'carol', admin: false },
  ],
};
const next = (author: string, op: 'add' | 'remove' | 'leave' | 'rename', subject: string, name?: string) => {
  const n = nextState(c, author, op, subject, name);
  if (typeof n === 'string') throw new Error(n);
  return n;
};

describe('checkRecord', () => {
  it('accepts each change that follows from the current state', () => {
    expect(checkRecord('bob', c, next('alice', 'add', 'dave'), 'alice')).toEqual({ ok: true, as: 'change' });
    expect(checkRecord('bob', c, next('alice', 'remove', 'carol'), 'alice')).toEqual({ ok: true, as: 'change' });
    expect(checkRecord('bob', c, next('carol', 'leave', 'carol'), 'carol')).toEqual({ ok: true, as: 'change' });
    expect(checkRecord('bob', c, next('alice', 'rename', '', 'crew'), 'alice')).toEqual({ ok: true, as: 'change' });
  });

  it('refuses changes by non-admins, and records signed by someone else than their author', () => {
    const forged = next('alice', 'add', 'mallory');
    expect(checkRecord('carol', c, forged, 'bob')).toMatchObject({ ok: false, code: 'GROUP_CHANGE_REFUSED' });
    expect(checkRecord('carol', c, { ...c, version: 5, op: 'rename', subject: '', name: 'x' }, 'bob')).toMatchObject({
      ok: false,
      code: 'GROUP_CHANGE_REFUSED',
    });
    // bob "leaves" carol: a leave must be signed by the one leaving.
    expect(checkRecord('alice', c, next('carol', 'leave', 'carol'), 'bob')).toMatchObject({
      ok: false,
      code: 'GROUP_CHANGE_REFUSED',
    });
    // An admin cannot make itself more than the change says: an add that also promotes is refused.
    const sneaky = next('alice', 'add', 'dave');
    sneaky.members = sneaky.members.map((m) => (m.user === 'bob' ? { ...m, admin: true } : m));
    expect(checkRecord('carol', c, sneaky, 'alice')).toMatchObject({ ok: false, code: 'GROUP_CHANGE_REFUSED' });
  });

  it('ignores stale versions and refuses gaps and a second create', () => {
    expect(checkRecord('bob', c, { ...next('alice', 'add', 'dave'), version: 4 }, 'alice')).toMatchObject({
      ok: false,
      code: 'GROUP_STALE',
    });
    expect(checkRecord('bob', c, { ...next('alice', 'add', 'dave'), version: 7 }, 'alice')).toMatchObject({
      ok: false,
      code: 'GROUP_CHANGE_REFUSED',
    });
    expect(checkRecord('bob', c, { ...c, version: 5, op: 'create', subject: '' }, 'alice')).toMatchObject({
      ok: false,
      code: 'GROUP_CHANGE_REFUSED',
    });
  });

  it('takes an invitation only from an admin named in it, and naming us', () => {
    const invite = next('alice', 'add', 'dave');
    expect(checkRecord('dave', undefined, invite, 'alice')).toEqual({ ok: true, as: 'invitation' });
    expect(checkRecord('dave', undefined, invite, 'bob')).toMatchObject({ ok: false, code: 'GROUP_CHANGE_REFUSED' });
    expect(checkRecord('erin', undefined, invite, 'alice')).toMatchObject({ ok: false, code: 'GROUP_CHANGE_REFUSED' });
    expect(checkRecord('dave', undefined, next('alice', 'rename', '', 'x'), 'alice')).toMatchObject({
      ok: false,
      code: 'GROUP_CHANGE_REFUSED',
    });
  });

  it('takes a create only at version 1 under an id bound to its signer (§15.1)', () => {
    const create = (gid: Uint8Array, version: number, admin: string): GroupRecord => ({
      gid,
      version,
      op: 'create',
      subject: '',
      name: 'team',
      members: [
        { user: admin, admin: true },
        { user: 'dave', admin: false },
      ],
    });
    const gid = newGroupId('alice');
    expect(checkRecord('dave', undefined, create(gid, 1, 'alice'), 'alice')).toEqual({ ok: true, as: 'invitation' });
    for (const [version, signer] of [
      [2, 'alice'],
      [0xffff_ffff, 'alice'],
      [1, 'mallory'],
      [0xffff_ffff, 'mallory'],
    ] as const) {
      expect(checkRecord('dave', undefined, create(gid, version, signer), signer)).toMatchObject({
        ok: false,
        code: 'GROUP_CHANGE_REFUSED',
      });
    }
    expect(checkRecord('dave', undefined, create(new Uint8Array(16), 1, 'alice'), 'alice')).toMatchObject({
      ok: false,
    });
  });

  it('a removed member takes any admin-signed re-invitation as an invitation: it cannot know who is admin now', () => {
    const removed = next('alice', 'remove', 'bob'); // bob holds this, as a non-member
    const other = {
      ...removed,
      version: 6,
      op: 'add' as const,
      subject: 'bob',
      members: [
        { user: 'alice', admin: false },
        { user: 'bob', admin: false },
        { user: 'carol', admin: true },
      ],
    };
    expect(checkRecord('bob', removed, other, 'carol')).toEqual({ ok: true, as: 'invitation' });
    expect(checkRecord('bob', removed, other, 'alice')).toMatchObject({ ok: false, code: 'GROUP_CHANGE_REFUSED' });
    expect(checkRecord('bob', removed, { ...other, subject: 'carol' }, 'carol')).toMatchObject({ ok: false });
  });

  it('an invitation of a member that does not follow from its state competes; the same record again is stale', () => {
    const fork = { ...c, version: 1000, op: 'add' as const, subject: 'bob' };
    fork.members = fork.members.map((m) => ({ ...m, admin: m.user === 'carol' }));
    expect(checkRecord('bob', c, fork, 'carol')).toEqual({ ok: true, as: 'competing' });
    expect(checkRecord('bob', c, { ...fork, version: 2 }, 'carol')).toEqual({ ok: true, as: 'competing' });
    expect(checkRecord('bob', fork, fork, 'carol')).toMatchObject({ ok: false, code: 'GROUP_STALE' });
    // Not an invitation of bob (its subject is someone else): refused as before.
    expect(checkRecord('bob', c, { ...fork, subject: 'dave' }, 'carol')).toMatchObject({ ok: false });
  });
});

describe('nextState', () => {
  it('refuses what the rules refuse, and promotes a member when the last admin leaves', () => {
    expect(nextState(c, 'bob', 'add', 'dave')).toMatch(/not an admin/);
    expect(nextState(c, 'alice', 'add', 'bob')).toMatch(/already/);
    expect(nextState(c, 'alice', 'remove', 'zed')).toMatch(/not a member/);
    expect(nextState(c, 'alice', 'remove', 'alice')).toMatch(/leave/);
    const left = next('alice', 'leave', 'alice');
    expect(left.members).toEqual([
      { user: 'bob', admin: true },
      { user: 'carol', admin: false },
    ]);
    expect(nextState({ ...c, members: [{ user: 'alice', admin: true }] }, 'alice', 'leave', 'alice')).toMatch(
      /last member/,
    );
  });
});
