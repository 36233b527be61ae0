/** The pane's row arithmetic (layout.ts) and the held window of history (pager.ts), with no terminal and no store. */
import { describe, expect, it } from 'vitest';
import { bottomRow, positionAt, scrollBy, topPosition, viewport, type Rows, type Scrollable } from './layout.js';
import { Pager, type PageSource } from './pager.js';

const rows = (counts: number[], from = 0): Rows => ({ keys: counts.map((_, i) => `k${i + from}`), counts });

describe('layout', () => {
  it('names a row by its item, and finds it again', () => {
    const r = rows([1, 3, 2]);
    expect(bottomRow(r, undefined)).toBe(5);
    expect(bottomRow(r, { key: 'k1', row: 2 })).toBe(3);
    expect(bottomRow(r, { key: 'gone', row: 0 })).toBe(5);
    expect(bottomRow(r, { key: 'k1', row: 99 })).toBe(3);
    expect(positionAt(r, 3)).toEqual({ key: 'k1', row: 2 });
    expect(positionAt(r, 6)).toBeUndefined();
  });

  it('shows `height` rows ending at the position, with the counts above and below', () => {
    const r = rows([1, 10, 2]);
    expect(viewport(r, undefined, 4)).toEqual({ top: 9, bottom: 12, above: 9, below: 0 });
    expect(viewport(r, { key: 'k1', row: 4 }, 4)).toEqual({ top: 2, bottom: 5, above: 2, below: 7 });
    expect(viewport(rows([2]), undefined, 4)).toEqual({ top: 0, bottom: 1, above: 0, below: 0 });
  });

  /** A history of `n` items of `h` rows each, held `page` at a time (at most `max`), through the real Pager. */
  function history(n: number, h: number, page: number, max: number) {
    const all = Array.from({ length: n }, (_, i) => i);
    const src: PageSource<number> = {
      newest: (limit, k) => {
        const end = k === undefined ? n : k;
        return all.slice(Math.max(0, end - limit), end);
      },
      oldest: (limit, k, inclusive) => {
        const start = k === undefined ? 0 : inclusive ? k : k + 1;
        return all.slice(start, start + limit);
      },
    };
    const p = new Pager(src, page, max);
    p.tail();
    const s: Scrollable = {
      rows: () => ({ keys: p.rows.map((x) => `k${x}`), counts: p.rows.map(() => h) }),
      older: () => p.older() > 0,
      newer: () => p.newer() > 0,
      atNewest: () => p.atNewest,
    };
    return { p, s };
  }

  it('scrolls by rows through pages read on the way, and follows the newest again at the bottom', () => {
    const { p, s } = history(1000, 3, 10, 40);
    expect(p.rows).toEqual(Array.from({ length: 10 }, (_, i) => 990 + i));
    // Up a page of 9 rows at a time (pane 10 rows): 3 rows per item.
    let pos = scrollBy(s, undefined, -9, 10);
    expect(pos).toEqual({ key: 'k996', row: 2 });
    for (let i = 0; i < 20; i++) pos = scrollBy(s, pos, -9, 10);
    // 20 more pages of 9 rows = 60 items further up; pages came in above and the newest left (max 40).
    expect(pos).toEqual({ key: 'k936', row: 2 });
    expect(p.rows.length).toBeLessThanOrEqual(40);
    expect(p.atNewest).toBe(false);
    for (let i = 0; i < 21; i++) pos = scrollBy(s, pos, 9, 10);
    expect(pos).toBeUndefined();
    expect(p.atNewest).toBe(true);
  });

  it('stops at the first row with the pane full, and a row at a time moves one row', () => {
    const { p, s } = history(5, 2, 10, 40);
    expect(scrollBy(s, undefined, -1, 4)).toEqual({ key: 'k4', row: 0 });
    expect(scrollBy(s, undefined, -100, 4)).toEqual({ key: 'k1', row: 1 });
    expect(scrollBy(s, { key: 'k1', row: 1 }, 100, 4)).toBeUndefined();
    p.head();
    expect(topPosition(s.rows(), 4)).toEqual({ key: 'k1', row: 1 });
    expect(topPosition(rows([1]), 4)).toEqual({ key: 'k0', row: 0 });
  });
});

describe('Pager', () => {
  const numbers = (n: number): PageSource<number> & { calls: number } => {
    const src = {
      calls: 0,
      newest(limit: number, k?: number) {
        src.calls++;
        const end = k ?? n;
        return Array.from({ length: Math.min(limit, end) }, (_, i) => end - Math.min(limit, end) + i);
      },
      oldest(limit: number, k?: number, inclusive?: boolean) {
        src.calls++;
        const start = k === undefined ? 0 : inclusive ? k : k + 1;
        return Array.from({ length: Math.max(0, Math.min(limit, n - start)) }, (_, i) => start + i);
      },
    };
    return src;
  };

  it('holds the newest page, knows whether more is above, and reads one page per step', () => {
    const src = numbers(250);
    const p = new Pager(src, 100, 250);
    p.tail();
    expect([p.rows[0], p.rows.at(-1), p.atOldest, p.atNewest]).toEqual([150, 249, false, true]);
    expect(p.older()).toBe(100);
    expect(p.older()).toBe(50);
    expect([p.rows.length, p.atOldest]).toEqual([250, true]);
    expect(p.older()).toBe(0);
    expect(src.calls).toBe(3);
  });

  it('drops the far end past `max`, Home and End read one page, and a reload keeps the span', () => {
    const p = new Pager(numbers(1000), 100, 200);
    p.head();
    expect([p.rows[0], p.rows.at(-1), p.atOldest, p.atNewest]).toEqual([0, 99, true, false]);
    p.newer();
    p.newer();
    expect([p.rows[0], p.rows.at(-1), p.atOldest, p.atNewest]).toEqual([100, 299, false, false]);
    p.reload();
    expect([p.rows[0], p.rows.at(-1)]).toEqual([100, 299]);
    p.tail();
    expect([p.rows[0], p.rows.at(-1), p.atNewest]).toEqual([900, 999, true]);
  });

  it('following the newest, a reload takes in a new message', () => {
    let n = 150;
    const src: PageSource<number> = {
      newest: (limit) => Array.from({ length: Math.min(limit, n) }, (_, i) => n - Math.min(limit, n) + i),
      oldest: () => [],
    };
    const p = new Pager(src, 100, 400);
    p.tail();
    n++;
    p.reload();
    expect([p.rows.at(-1), p.rows.length]).toEqual([150, 100]);
  });
});
