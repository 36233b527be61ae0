/** The session's keyset pages (history.ts `range`) on a real in-memory store: both directions, ties, /clear, plans. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from './store.js';

const hex = (n: number) => n.toString(16).padStart(32, '0');

describe('history range pages', () => {
  let store: Store;
  const conv = { conv: 'alice', group: false };
  beforeEach(() => {
    store = Store.open(':memory:', new Uint8Array(32));
    // 10 messages, two per receive time (ties are ordered by commit order), and one from another peer between.
    for (let i = 0; i < 10; i++) {
      store.messages.add({
        id: hex(i),
        peer: 'alice',
        direction: i % 3 === 0 ? 'out' : 'in',
        body: `m${i}`,
        ts: i,
        relayTs: i,
        receivedAt: 100 + Math.floor(i / 2),
      });
      if (i === 4)
        store.messages.add({
          id: hex(99),
          peer: 'carol',
          direction: 'in',
          body: 'x',
          ts: 0,
          relayTs: 0,
          receivedAt: 102,
        });
    }
  });
  afterEach(() => store.close());

  const bodies = (rows: { body: string }[]) => rows.map((r) => r.body);

  it('walks back from the newest and forward from the oldest without gaps or repeats, across equal times', () => {
    const back: string[] = [];
    let page = store.history.range(conv, 'newest', 3);
    while (page.length > 0) {
      back.unshift(...bodies(page));
      const first = page[0]!;
      page = store.history.range(conv, 'newest', 3, { key: { receivedAt: first.receivedAt, seq: first.seq } });
    }
    const all = Array.from({ length: 10 }, (_, i) => `m${i}`);
    expect(back).toEqual(all);
    const forward: string[] = [];
    page = store.history.range(conv, 'oldest', 4);
    while (page.length > 0) {
      forward.push(...bodies(page));
      const last = page.at(-1)!;
      page = store.history.range(conv, 'oldest', 4, { key: { receivedAt: last.receivedAt, seq: last.seq } });
    }
    expect(forward).toEqual(all);
  });

  it('from a row inclusive, and only what was received after `since` (/clear)', () => {
    const [third] = store.history.range(conv, 'oldest', 1, {
      key: { receivedAt: 101, seq: store.history.range(conv, 'oldest', 3)[2]!.seq },
      inclusive: true,
    });
    expect(third?.body).toBe('m2');
    expect(bodies(store.history.range(conv, 'newest', 100, { since: 103 }))).toEqual(['m8', 'm9']);
    expect(bodies(store.history.range(conv, 'oldest', 100, { since: 103 }))).toEqual(['m8', 'm9']);
  });

  it('an index serves every page in both directions: no table scan, no sort', () => {
    for (const group of [false, true])
      for (const end of ['newest', 'oldest'] as const) {
        const plan = store.history.explainRange(group, end);
        expect(plan).toMatch(/USING INDEX (messages_by_peer_received|group_messages_by_conv)/);
        expect(plan).not.toMatch(/TEMP B-TREE|SCAN messages|SCAN group_messages/);
      }
  });

  it('search matches its text literally (% and _ are no wildcards), ASCII case folded, other case kept', () => {
    for (const [i, body] of [
      '100% done',
      '100 percent',
      'snake_case',
      'snakeXcase',
      'a\\b',
      'Émile',
      'émile',
    ].entries())
      store.messages.add({
        id: hex(200 + i),
        peer: 'dave',
        direction: 'in',
        body,
        ts: 0,
        relayTs: 0,
        receivedAt: 200 + i,
      });
    const found = (text: string) => bodies(store.history.search(text, 10)).sort();
    expect(found('0% d')).toEqual(['100% done']);
    expect(found('E_C')).toEqual(['snake_case']);
    expect(found('a\\b')).toEqual(['a\\b']);
    expect(found('émile')).toEqual(['émile']);
  });
});
