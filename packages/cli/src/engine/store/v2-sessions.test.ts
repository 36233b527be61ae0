/**
 * The v2 session rows (store/v2.ts, PROTOCOL.md §24.4): at most MAX_SESSIONS_PER_PEER per peer, the most recently
 * used kept; updating a session (every message does) keeps it and its siblings (real SQLite).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir } from '../../../test/helpers.js';
import { Store } from './store.js';
import { MAX_SESSIONS_PER_PEER, type SessionRow } from './v2.js';

let t: ReturnType<typeof tempDir>;
let store: Store;
const row = (peer: string, usedAt: number): SessionRow => ({
  peer,
  state: Uint8Array.of(usedAt & 0xff),
  initiation: null,
  replayKey: `${peer}-${usedAt}`,
  usedAt,
});

beforeEach(() => {
  t = tempDir('v2-sessions');
  store = Store.open(join(t.dir, 'chat.db'), TEST_STORAGE_KEY);
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('V2Table sessions', () => {
  it('keeps the most recently used MAX_SESSIONS_PER_PEER sessions of a peer when a new one is stored', () => {
    const v2 = store.v2;
    const sids = [1, 2, 3, 4, 5, 6].map((at) => v2.saveSession(row('bob', at)));
    v2.saveSession(row('carol', 1)); // another peer's sessions are not counted against bob's
    const kept = v2.sessions('bob');
    expect(kept).toHaveLength(MAX_SESSIONS_PER_PEER);
    expect(kept.map((s) => s.sid)).toEqual(sids.slice(2).reverse());
    expect(v2.sessions('carol')).toHaveLength(1);
  });

  it('an update stores the new state and order, and erases nothing', () => {
    const v2 = store.v2;
    const rows = [1, 2, 3, 4].map((at) => ({ ...row('bob', at), sid: v2.saveSession(row('bob', at)) }));
    const oldest = rows[0]!;
    const again = v2.saveSession({ ...oldest, state: Uint8Array.of(9, 9), usedAt: 10 });
    expect(again).toBe(oldest.sid);
    const kept = v2.sessions('bob');
    expect(kept.map((s) => s.sid)).toEqual([oldest.sid, rows[3]!.sid, rows[2]!.sid, rows[1]!.sid]);
    expect(kept[0]!.state).toEqual(Uint8Array.of(9, 9));
    // A new session now drops the least recently used one, which is no longer the first stored.
    v2.saveSession(row('bob', 11));
    expect(v2.sessions('bob').map((s) => s.sid)).not.toContain(rows[1]!.sid);
    expect(v2.sessions('bob').map((s) => s.sid)).toContain(oldest.sid);
  });
});

describe('V2Table.committedAmong (a receive batch duplicate check in one query)', () => {
  it('answers as committed() does for each id: rejected and seen ids are committed, unknown ones are not', () => {
    const v2 = store.v2;
    store.rejected.add({ id: 'aa', reason: 'ENVELOPE_OPEN_FAILED', relayTs: 1, rejectedAt: 2 });
    store.seen.add(['bb'], 3);
    const ids = ['aa', 'bb', 'cc', "dd'"];
    expect([...v2.committedAmong(ids)].sort()).toEqual(ids.filter((id) => v2.committed(id)).sort());
    expect([...v2.committedAmong(ids)].sort()).toEqual(['aa', 'bb']);
    expect(v2.committedAmong([]).size).toBe(0);
  });
});
