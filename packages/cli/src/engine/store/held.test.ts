/** Schema v17 (held.ts): the migration from v16, and the bounds and expiry of what is kept (§17.6, §25.10). */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir, testDb } from '../../../test/helpers.js';
import { HOLD_KEEP_MS, MAX_HELD_GROUP_MESSAGES, MAX_HELD_GROUP_PER_SENDER } from './held.js';
import { SCHEMA_VERSION, Store } from './store.js';

const hex = (n: number): string => n.toString(16).padStart(32, '0');
const gid = 'ab'.repeat(16);

const groupMsg = (n: number, sender = 'alice', g = gid) => ({
  id: hex(n),
  gid: g,
  sender,
  epoch: new Uint8Array(16).fill(1),
  iteration: n,
  gmsg: new Uint8Array(100).fill(n & 0xff),
  relayTs: n,
});

describe('held (schema v17)', () => {
  let t: ReturnType<typeof tempDir>;
  let path: string;
  let store: Store;
  beforeEach(() => {
    t = tempDir('held');
    path = join(t.dir, 'chat.db');
    store = Store.open(path, TEST_STORAGE_KEY);
  });
  afterEach(() => {
    store.close();
    t.cleanup();
  });

  it('migrates a version 16 database: the held tables are made, the history kept', () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(17);
    store.messages.add({
      id: hex(1),
      peer: 'bob',
      direction: 'in',
      body: 'kept',
      ts: 1,
      relayTs: 1,
      receivedAt: 1,
      state: null,
    });
    store.close();
    const db = testDb(path);
    db.exec(
      'DROP TABLE held_actions; DROP TABLE held_group_messages; DROP TABLE group_sender_start; PRAGMA user_version = 16;',
    );
    db.close();
    store = Store.open(path, TEST_STORAGE_KEY);
    expect(store.messages.list({ peer: 'bob' }).map((m) => m.body)).toEqual(['kept']);
    const now = Date.now();
    const a = { id: hex(2), sender: 'bob', conv: 'bob', target: hex(9), kind: 9, body: new Uint8Array(16), ts: 1 };
    expect(store.held.holdAction({ ...a, relayTs: 1 }, now)).toBe('held');
    expect(store.held.holdAction({ ...a, relayTs: 1 }, now)).toBe('duplicate');
    expect(store.held.actionsFor('bob', hex(9)).map((x) => x.id)).toEqual([hex(2)]);
  });

  it('keeps group messages within the bounds per (group, sender) and in total', () => {
    const now = Date.now();
    store.transaction(() => fill(now));
  });

  const fill = (now: number): void => {
    for (let n = 0; n < MAX_HELD_GROUP_PER_SENDER; n++) expect(store.held.holdGroup(groupMsg(n), now)).toBe('held');
    expect(store.held.holdGroup(groupMsg(1000), now)).toBe('full');
    // Another claimed sender has its own share, until the total is reached.
    let n = 2000;
    let held = MAX_HELD_GROUP_PER_SENDER;
    for (let s = 0; held < MAX_HELD_GROUP_MESSAGES; s++) {
      for (let k = 0; k < MAX_HELD_GROUP_PER_SENDER && held < MAX_HELD_GROUP_MESSAGES; k++, held++) {
        expect(store.held.holdGroup(groupMsg(n++, `user${s}`), now)).toBe('held');
      }
    }
    expect(store.held.holdGroup(groupMsg(n++, 'newcomer'), now)).toBe('full');
    expect(store.held.counts().groupMessages).toBe(MAX_HELD_GROUP_MESSAGES);
  };

  it('expires after HOLD_KEEP, recorded as the rejection it was before holding', () => {
    const now = Date.now();
    store.held.holdGroup(groupMsg(1), now);
    store.timers.sweep(now + HOLD_KEEP_MS - 1000);
    expect(store.held.counts().groupMessages).toBe(1);
    store.timers.sweep(now + HOLD_KEEP_MS + 1000);
    expect(store.held.counts().groupMessages).toBe(0);
    expect(store.rejected.list()).toMatchObject([{ id: hex(1), reason: 'GROUP_EPOCH_UNKNOWN' }]);
  });

  it("expires with the group's timer when it is shorter, and goes when we are not in the group", () => {
    const now = Date.now();
    store.timers.set({ conv: `#${gid}`, seconds: 60, setBy: 'alice', setTs: 1, setAt: now });
    store.held.holdGroup(groupMsg(1), now);
    store.held.holdGroup(groupMsg(2, 'alice', 'cd'.repeat(16)), now); // a group with no timer
    store.timers.sweep(now + 59_000);
    expect(store.held.counts().groupMessages).toBe(2);
    store.timers.sweep(now + 61_000);
    expect(store.held.counts().groupMessages).toBe(1);
    // §25.7's sweep of the groups we are not in (we hold no state of either group here).
    store.senderKeys.sweep(0);
    expect(store.held.counts().groupMessages).toBe(0);
    expect(
      store.rejected
        .list()
        .map((r) => `${r.id} ${r.reason}`)
        .sort(),
    ).toEqual([`${hex(1)} GROUP_EPOCH_UNKNOWN`, `${hex(2)} GROUP_EPOCH_UNKNOWN`]);
  });
});
