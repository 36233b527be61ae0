/**
 * Schema v18 (groups.ts `joinedAt`, PROTOCOL.md §15.4 step 6): the version by which each member last joined a group,
 * as our chain of records shows it, and the v17 → v18 migration.
 */
import { join } from 'node:path';
import { encodeGroupRecord, newGroupId, toHex, type GroupOp, type GroupRecord } from '@chat/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir, testDb } from '../../../test/helpers.js';
import { MAX_AHEAD_PER_GROUP, MAX_AHEAD_PER_SIGNER } from './groups.js';
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
  /** Stores `r` as a change that follows (§15.4 step 3) unless `follows` is false (a creation, an invitation, …). */
  const put = (r: GroupRecord, member = true, follows = r.op !== 'create') =>
    store.groups.put(r, encodeGroupRecord(r), member, 1, null, follows);
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
    // A state taken otherwise than as a following change, even at our version + 1 (a competing version accepted):
    // the joins before it are unknown.
    put(record(5, 'add', 'dave', ['alice', 'bob', 'carol', 'dave']), true, false);
    expect(['bob', 'carol', 'dave'].map((u) => store.groups.joinedAt(gid, u))).toEqual([5, 5, 5]);
    // Version 9 does not follow 5 (an invitation, a competing version, a restore): the joins before it are unknown.
    put(record(9, 'add', 'dave', ['alice', 'bob', 'carol', 'dave']), true, false);
    expect(['bob', 'carol', 'dave'].map((u) => store.groups.joinedAt(gid, u))).toEqual([9, 9, 9]);
    put(record(10, 'add', 'erin', ['alice', 'bob', 'carol', 'dave', 'erin']));
    expect(['bob', 'erin'].map((u) => store.groups.joinedAt(gid, u))).toEqual([9, 10]);
    // Out of the group (removed): the next state we take is an invitation, whatever its version.
    put(record(11, 'remove', 'alice', ['bob', 'carol', 'dave', 'erin']), false);
    put(record(12, 'add', 'alice', ['alice', 'bob', 'carol', 'dave', 'erin']), true, false); // an invitation
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

  it('keeps at most MAX_AHEAD_PER_SIGNER per signer and MAX_AHEAD_PER_GROUP per group, and hands out a version once', () => {
    const signers = Array.from({ length: MAX_AHEAD_PER_GROUP / MAX_AHEAD_PER_SIGNER }, (_, i) => `s${i}`);
    for (const signer of signers)
      for (let v = 3; v < 3 + MAX_AHEAD_PER_SIGNER; v++)
        expect(store.groups.keepAhead(kept(v, signer), 10, 0)).toBe(true);
    expect(store.groups.keepAhead(kept(99, 's0'), 10, 0)).toBe(false); // s0 has its share
    expect(store.groups.keepAhead(kept(3, 'other'), 10, 0)).toBe(false); // the group is full
    expect(store.groups.keepAhead(kept(3, 's0', 'again'), 10, 0)).toBe(true); // replaces its own place
    expect(store.groups.takeAhead(gid, 4, 0).map((k) => k.id)).toEqual(signers.map((x) => `4${x}`)); // 3 dropped
    expect(store.groups.takeAhead(gid, 4, 0)).toEqual([]);
    expect(store.groups.takeAhead(gid, 3, 0)).toEqual([]);
    expect(store.groups.keepAhead(kept(4, 'other'), 10, 0)).toBe(true); // room again
    const five = store.groups.takeAhead(gid, 5, 0);
    expect(five.map((k) => k.id)).toEqual(signers.map((x) => `5${x}`));
    expect(five[0]).toMatchObject({ signer: 's0', record: new Uint8Array([5]), relayTs: 5 });
  });

  it('forgets what was kept longer than the mailbox keeps an envelope (sent again or not), and with the group', () => {
    expect(store.groups.keepAhead(kept(5, 'bob'), 10, 0)).toBe(true);
    expect(store.groups.keepAhead(kept(5, 'bob', 'again'), 20, 0)).toBe(true); // keeps its first time, 10
    expect(store.groups.takeAhead(gid, 5, 11)).toEqual([]); // kept before 11: gone
    expect(store.groups.keepAhead(kept(6, 'bob'), 20, 0)).toBe(true);
    expect(store.groups.keepAhead(kept(7, 'bob'), 30, 21)).toBe(true); // and a keep sweeps too
    expect(store.groups.takeAhead(gid, 6, 0)).toEqual([]);
    store.groups.forget(gid);
    expect(store.groups.takeAhead(gid, 7, 0)).toEqual([]);
  });
});
