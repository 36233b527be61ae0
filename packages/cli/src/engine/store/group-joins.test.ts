/**
 * Schema v18 (groups.ts `joinedAt`, PROTOCOL.md §15.4 step 6): the version by which each member last joined a group,
 * as our chain of records shows it, and the v17 → v18 migration.
 */
import { join } from 'node:path';
import { encodeGroupRecord, newGroupId, toHex, type GroupOp, type GroupRecord } from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir, testDb } from '../../../test/helpers.js';
import { MAX_AHEAD_PER_GROUP } from './groups.js';
import { SCHEMA_VERSION, Store } from './store.js';

const gidBytes = newGroupId('alice');
const gid = toHex(gidBytes);

function record(version: number, op: GroupOp, subject: string, users: string[]): GroupRecord {
  return {
    gid: gidBytes,
    version,
    op,
    subject,
    name: 'crew',
    members: users.map((user) => ({ user, admin: user === 'alice' || user === 'bob' })),
  };
}

describe('group joins (schema v18)', () => {
  let t: ReturnType<typeof tempDir>;
  let path: string;
  let store: Store;
  const put = (r: GroupRecord, member = true) => store.groups.put(r, encodeGroupRecord(r), member, 1);
  beforeEach(() => {
    t = tempDir('group-joins');
    path = join(t.dir, 'chat.db');
    store = Store.open(path, TEST_STORAGE_KEY);
  });
  afterEach(() => {
    store.close();
    t.cleanup();
  });

  it('follows the chain: who each change adds joins at its version; a state that does not follow starts over', () => {
    expect(store.groups.joinedAt(gid, 'bob')).toBeUndefined(); // a group we do not hold
    put(record(1, 'create', '', ['alice', 'bob']));
    expect(store.groups.joinedAt(gid, 'bob')).toBe(1);
    put(record(2, 'add', 'carol', ['alice', 'bob', 'carol']));
    expect([store.groups.joinedAt(gid, 'bob'), store.groups.joinedAt(gid, 'carol')]).toEqual([1, 2]);
    put(record(3, 'leave', 'carol', ['alice', 'bob']));
    put(record(4, 'add', 'carol', ['alice', 'bob', 'carol'])); // carol again: her leave at 3 is now an old one
    expect([store.groups.joinedAt(gid, 'bob'), store.groups.joinedAt(gid, 'carol')]).toEqual([1, 4]);
    // Version 9 does not follow 4 (an invitation, a competing version, a restore): the joins before it are unknown.
    put(record(9, 'add', 'dave', ['alice', 'bob', 'carol', 'dave']));
    expect(['bob', 'carol', 'dave'].map((u) => store.groups.joinedAt(gid, u))).toEqual([9, 9, 9]);
    put(record(10, 'add', 'erin', ['alice', 'bob', 'carol', 'dave', 'erin']));
    expect(['bob', 'erin'].map((u) => store.groups.joinedAt(gid, u))).toEqual([9, 10]);
    // Out of the group (removed): the next state we take is an invitation, whatever its version.
    put(record(11, 'remove', 'alice', ['bob', 'carol', 'dave', 'erin']), false);
    put(record(12, 'add', 'alice', ['alice', 'bob', 'carol', 'dave', 'erin']));
    expect(store.groups.joinedAt(gid, 'erin')).toBe(12);
    store.groups.forget(gid);
    expect(store.groups.joinedAt(gid, 'erin')).toBeUndefined();
  });

  it('migrates a version 17 database: a group held then counts its members as joined at its current version', () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(18);
    put(record(1, 'create', '', ['alice', 'bob']));
    put(record(2, 'add', 'carol', ['alice', 'bob', 'carol']));
    store.close();
    const db = testDb(path);
    db.exec('DROP TABLE group_joins; PRAGMA user_version = 17;');
    db.close();
    store = Store.open(path, TEST_STORAGE_KEY);
    expect(['bob', 'carol'].map((u) => store.groups.joinedAt(gid, u))).toEqual([2, 2]);
    put(record(3, 'add', 'dave', ['alice', 'bob', 'carol', 'dave']));
    expect(['bob', 'dave'].map((u) => store.groups.joinedAt(gid, u))).toEqual([2, 3]);
  });
});

describe('changes kept ahead of our state (schema v18, §15.4 step 7)', () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    t = tempDir('group-ahead');
    store = Store.open(join(t.dir, 'chat.db'), TEST_STORAGE_KEY);
  });
  afterEach(() => {
    store.close();
    t.cleanup();
  });
  const kept = (version: number, signer: string, id = `${version}${signer}`) => ({
    gid,
    version,
    signer,
    record: new Uint8Array([version]),
    id,
    ts: version,
    relayTs: version,
  });

  it('keeps at most MAX_AHEAD_PER_GROUP per group, one per (version, signer), and hands out a version once', () => {
    for (let v = 3; v < 3 + MAX_AHEAD_PER_GROUP; v++) expect(store.groups.keepAhead(kept(v, 'bob'), 10, 0)).toBe(true);
    expect(store.groups.keepAhead(kept(99, 'bob'), 10, 0)).toBe(false); // full
    expect(store.groups.keepAhead(kept(3, 'bob', 'again'), 10, 0)).toBe(true); // replaces its own slot
    expect(store.groups.keepAhead(kept(4, 'carol'), 10, 0)).toBe(false);
    expect(store.groups.takeAhead(gid, 4).map((k) => k.id)).toEqual(['4bob']); // and version 3 is dropped: older
    expect(store.groups.takeAhead(gid, 4)).toEqual([]);
    expect(store.groups.takeAhead(gid, 3)).toEqual([]);
    expect(store.groups.keepAhead(kept(4, 'carol'), 10, 0)).toBe(true); // room again
    expect(store.groups.takeAhead(gid, 5)).toMatchObject([{ id: '5bob', record: new Uint8Array([5]), relayTs: 5 }]);
  });

  it('forgets what was kept longer than the mailbox keeps an envelope, and with the group', () => {
    expect(store.groups.keepAhead(kept(5, 'bob'), 10, 0)).toBe(true);
    expect(store.groups.keepAhead(kept(6, 'bob'), 20, 11)).toBe(true); // kept before 11: the first is gone
    expect(store.groups.takeAhead(gid, 5)).toEqual([]);
    store.groups.forget(gid);
    expect(store.groups.takeAhead(gid, 6)).toEqual([]);
  });
});
