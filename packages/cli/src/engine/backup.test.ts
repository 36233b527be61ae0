/** The backup's seen ids (§13.2, issue 14 finding 13): carried, bounded, and optional for older backups. */
import { encodeGroupRecord, fromHex, generateIdentity, randomMessageId, toHex } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { exportBackup, importBackup } from './backup.js';
import { MAX_SEEN_IDS } from './store/seen.js';

// The lowest cost checkScryptParams accepts: the KDF is not what these tests are about.
const CHEAP = { logN: 10, r: 8, p: 1 };
/** No blocked users, nicknames or timers. */
const NONE = { blocked: [], nicknames: [], timers: [] };

describe('backup seen ids', () => {
  it('round-trips the seen ids, and reads a backup that has none as an empty set', async () => {
    const identity = generateIdentity();
    const seenIds = [toHex(randomMessageId()), toHex(randomMessageId())];
    const back = await importBackup(
      exportBackup({ identity, config: undefined, contacts: [], seenIds, ...NONE }, 'pw', CHEAP),
      'pw',
    );
    expect(back.seenIds).toEqual(seenIds);
    const none = await importBackup(
      exportBackup({ identity, config: undefined, contacts: [], seenIds: [], ...NONE }, 'pw', CHEAP),
      'pw',
    );
    expect(none.seenIds).toEqual([]);
  });

  it('refuses more than MAX_SEEN_IDS ids', async () => {
    const identity = generateIdentity();
    const seenIds = Array.from({ length: MAX_SEEN_IDS + 1 }, (_, i) => i.toString(16).padStart(32, '0'));
    const text = exportBackup({ identity, config: undefined, contacts: [], seenIds, ...NONE }, 'pw', CHEAP);
    await expect(importBackup(text, 'pw')).rejects.toMatchObject({ code: 'BAD_BACKUP' });
  });
});

describe('backup of blocks, nicknames and timers (issue 15)', () => {
  const local = {
    blocked: [{ username: 'mallory', blockedAt: 5 }],
    nicknames: [{ username: 'alice', nickname: 'Al 🚀' }],
    timers: [
      { conv: 'alice', seconds: 3600, setBy: 'alice', setTs: 7 },
      { conv: `#${'ab'.repeat(16)}`, seconds: 0, setBy: 'carol', setTs: 9 },
    ],
  };

  it('round-trips them', async () => {
    const identity = generateIdentity();
    const back = await importBackup(
      exportBackup({ identity, config: undefined, contacts: [], seenIds: [], ...local }, 'pw', CHEAP),
      'pw',
    );
    expect({ blocked: back.blocked, nicknames: back.nicknames, timers: back.timers }).toEqual(local);
  });

  it.each([
    ['a nickname with an escape', { nicknames: [{ username: 'alice', nickname: '\u001b[2Jx' }] }],
    ['a blocked user that is not a username', { blocked: [{ username: '../etc', blockedAt: 1 }] }],
    ['a timer over a year', { timers: [{ conv: 'alice', seconds: 31_536_001, setBy: 'alice', setTs: 1 }] }],
    ['a timer for no conversation', { timers: [{ conv: '#xyz', seconds: 5, setBy: 'alice', setTs: 1 }] }],
  ])('refuses %s (BAD_BACKUP)', async (_what, bad) => {
    const identity = generateIdentity();
    const text = exportBackup({ identity, config: undefined, contacts: [], seenIds: [], ...NONE, ...bad }, 'pw', CHEAP);
    await expect(importBackup(text, 'pw')).rejects.toMatchObject({ code: 'BAD_BACKUP' });
  });
});

describe('backup of groups and joined rooms (issue 15)', () => {
  const record = encodeGroupRecord({
    gid: fromHex('cd'.repeat(16)),
    version: 3,
    op: 'rename',
    subject: '',
    name: 'crew',
    members: [
      { user: 'alice', admin: true },
      { user: 'bob', admin: false },
    ],
  });

  it('round-trips the group state records and the joined rooms', async () => {
    const identity = generateIdentity();
    const groups = [{ record, member: true }];
    const back = await importBackup(
      exportBackup(
        { identity, config: undefined, contacts: [], seenIds: [], ...NONE, groups, rooms: ['general'] },
        'pw',
        CHEAP,
      ),
      'pw',
    );
    expect(back.groups).toEqual(groups);
    expect(back.rooms).toEqual(['general']);
    // A backup written before them has none.
    const old = await importBackup(
      exportBackup({ identity, config: undefined, contacts: [], seenIds: [], ...NONE }, 'pw', CHEAP),
      'pw',
    );
    expect([old.groups, old.rooms]).toEqual([[], []]);
  });

  it.each([
    ['a malformed group record', { groups: [{ record: record.subarray(0, 20), member: true }] }],
    ['a room name that is not one', { rooms: ['../x'] }],
  ])('refuses %s (BAD_BACKUP)', async (_what, bad) => {
    const identity = generateIdentity();
    const text = exportBackup({ identity, config: undefined, contacts: [], seenIds: [], ...NONE, ...bad }, 'pw', CHEAP);
    await expect(importBackup(text, 'pw')).rejects.toMatchObject({ code: 'BAD_BACKUP' });
  });
});
