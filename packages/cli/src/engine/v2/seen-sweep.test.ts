/**
 * Seen ids (store/seen.ts) are swept with the mailbox's expiry: a receiving connection erases those older than
 * SEEN_KEEP_MS and keeps the rest. Since §24.3 step 8 records an id per receipt, edit or reaction, the table grew for
 * ever without it. Real relay in process, real chat.db.
 */
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { SEEN_KEEP_MS } from '../store/seen.js';

const world = engineWorld('seen-sweep');

describe('seen ids', () => {
  it('a receiving connection erases those past SEEN_KEEP_MS and keeps the newer ones', async () => {
    const { a } = await world.pair();
    const m = await world.open(a);
    const now = Date.now();
    const old = 'aa'.repeat(16);
    const recent = 'bb'.repeat(16);
    m.store.seen.add([old], now - SEEN_KEEP_MS - 60_000);
    m.store.seen.add([recent], now - SEEN_KEEP_MS + 3_600_000);
    expect(m.store.seen.has(old)).toBe(true);
    await m.receive();
    expect(m.store.seen.has(old)).toBe(false);
    expect(m.store.seen.has(recent)).toBe(true);
  });
});
