/**
 * The part of a long history the session holds (issue 15, "A long history"): a window of at most `max` rows read a
 * page at a time from the store, oldest first, moved by the pane's scrolling. Pure over a `PageSource`, so a year of
 * history costs what one screen does: opening reads one page, PgUp near the top one more, Home the oldest page.
 */

/** Where the rows come from: the store's keyset pages (history.ts `range`), oldest first in every answer. */
export interface PageSource<T> {
  /** The newest `limit` rows, or the newest before `key` (exclusive). */
  newest(limit: number, key?: T): T[];
  /** The oldest `limit` rows, or the oldest from `key` (exclusive unless `inclusive`). */
  oldest(limit: number, key?: T, inclusive?: boolean): T[];
}

export class Pager<T> {
  /** The rows held, oldest first. */
  rows: T[] = [];
  /** Nothing older than `rows[0]` in the store. */
  atOldest = true;
  /** Nothing newer than the last row in the store: new messages join the window. */
  atNewest = true;

  constructor(
    private readonly src: PageSource<T>,
    readonly page = 100,
    readonly max = 400,
  ) {}

  /** The newest page (End, opening a conversation). */
  tail(): void {
    const r = this.src.newest(this.page + 1);
    this.atOldest = r.length <= this.page;
    this.rows = this.atOldest ? r : r.slice(1);
    this.atNewest = true;
  }

  /** The oldest page (Home). */
  head(): void {
    const r = this.src.oldest(this.page + 1);
    this.atNewest = r.length <= this.page;
    this.rows = r.slice(0, this.page);
    this.atOldest = true;
  }

  /** One more page above; the newest rows leave the window past `max`. How many rows came in. */
  older(): number {
    const first = this.rows[0];
    if (this.atOldest || first === undefined) return 0;
    const r = this.src.newest(this.page + 1, first);
    this.atOldest = r.length <= this.page;
    const add = this.atOldest ? r : r.slice(1);
    this.rows = [...add, ...this.rows];
    if (this.rows.length > this.max) {
      this.rows = this.rows.slice(0, this.max);
      this.atNewest = false;
    }
    return add.length;
  }

  /** One more page below; the oldest rows leave the window past `max`. How many rows came in. */
  newer(): number {
    const last = this.rows.at(-1);
    if (this.atNewest || last === undefined) return 0;
    const r = this.src.oldest(this.page + 1, last);
    this.atNewest = r.length <= this.page;
    const add = r.slice(0, this.page);
    this.rows = [...this.rows, ...add];
    if (this.rows.length > this.max) {
      this.rows = this.rows.slice(this.rows.length - this.max);
      this.atOldest = false;
    }
    return add.length;
  }

  /**
   * Reads the window again after the history changed (a message arrived, an edit, a delete): the newest rows when
   * following them (a new message joins, the oldest leave past `max`), else the same span from its first row.
   */
  reload(): void {
    const first = this.rows[0];
    if (this.atNewest || first === undefined) {
      const n = Math.min(this.max, Math.max(this.page, this.rows.length));
      const r = this.src.newest(n + 1);
      this.atOldest = r.length <= n;
      this.rows = this.atOldest ? r : r.slice(1);
      this.atNewest = true;
      return;
    }
    const n = this.rows.length;
    const r = this.src.oldest(n + 1, first, true);
    this.atNewest = r.length <= n;
    this.rows = r.slice(0, n);
  }
}
