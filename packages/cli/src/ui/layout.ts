/**
 * Row arithmetic for the message pane (issue 15: nothing is cut off): the pane scrolls by rows, not by messages, so a
 * message taller than the pane is read a line or a page at a time. A position is the pane's bottom row, named by the
 * item it belongs to and its row in that item, so it stays put while pages of history come and go above or below
 * (pager.ts). wrap.ts says how many rows each item takes.
 */

/** The pane's bottom row: row `row` (0 = its first) of the item with key `key`. Undefined: the newest row, followed. */
export interface Position {
  key: string;
  row: number;
}

/** The held items, oldest first: their keys and how many rows each takes at the pane's width. */
export interface Rows {
  keys: readonly string[];
  counts: readonly number[];
}

const total = (r: Rows): number => r.counts.reduce((a, b) => a + b, 0);

/** The index, among all rows of `r`, of the bottom row at `pos` (the last row when following, or the item is gone). */
export function bottomRow(r: Rows, pos: Position | undefined): number {
  const last = total(r) - 1;
  if (!pos) return last;
  let at = 0;
  for (let i = 0; i < r.keys.length; i++) {
    const n = r.counts[i] ?? 0;
    if (r.keys[i] === pos.key) return Math.min(at + Math.max(0, Math.min(pos.row, n - 1)), last);
    at += n;
  }
  return last;
}

/** The position of row `index` among all rows of `r`. */
export function positionAt(r: Rows, index: number): Position | undefined {
  let at = 0;
  for (let i = 0; i < r.keys.length; i++) {
    const n = r.counts[i] ?? 0;
    if (index < at + n) return { key: r.keys[i] ?? '', row: index - at };
    at += n;
  }
  return undefined;
}

/** What the pane draws: rows `top`..`bottom` (inclusive) of all held rows, and how many are left above and below. */
export function viewport(r: Rows, pos: Position | undefined, height: number) {
  const bottom = bottomRow(r, pos);
  const top = Math.max(0, bottom - Math.max(1, height) + 1);
  return { top, bottom, above: top, below: Math.max(0, total(r) - 1 - bottom) };
}

/** The held history as scrolling sees it: its rows now, and more pages on request (the controller's pager). */
export interface Scrollable {
  rows(): Rows;
  /** Reads a page above the held rows; false when there is none. */
  older(): boolean;
  /** Reads a page below the held rows; false when there is none. */
  newer(): boolean;
  /** Whether the held rows end with the newest message. */
  atNewest(): boolean;
}

/**
 * The position `delta` rows below `pos` (negative: above) in a pane of `height` rows, reading pages while the move
 * runs past the held rows, and stopping at the first row (a full pane) and the last (followed again when it is the
 * newest).
 */
export function scrollBy(
  s: Scrollable,
  pos: Position | undefined,
  delta: number,
  height: number,
): Position | undefined {
  let r = s.rows();
  // Named by its item, the start row survives pages read above (indices shift) or dropped below.
  const start = positionAt(r, bottomRow(r, pos));
  if (!start) return undefined;
  let target = bottomRow(r, start) + delta;
  while (delta < 0 && target - height + 1 < 0 && s.older()) {
    r = s.rows();
    target = bottomRow(r, start) + delta;
  }
  while (delta > 0 && target > total(r) - 1 && s.newer()) {
    r = s.rows();
    target = bottomRow(r, start) + delta;
  }
  const last = total(r) - 1;
  target = Math.max(Math.min(height - 1, last), Math.min(target, last));
  return target === last && s.atNewest() ? undefined : positionAt(r, target);
}

/** The position that shows the first rows at the top of a pane of `height` rows (Home, after the oldest page). */
export function topPosition(r: Rows, height: number): Position | undefined {
  return positionAt(r, Math.min(height, total(r)) - 1);
}
