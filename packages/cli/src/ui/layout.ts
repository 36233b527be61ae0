/** Row arithmetic for the message pane: which items fit (scrollback); wrap.ts says how many rows each takes. */

/**
 * The items to show: ending `offset` items above the newest, as many as fit in `height` rows (at least one).
 * Returns the slice bounds and whether there is more above / below.
 */
export function visibleWindow(
  rows: readonly number[],
  height: number,
  offset: number,
): { start: number; end: number; above: boolean; below: boolean } {
  const end = Math.max(0, rows.length - Math.max(0, Math.min(offset, rows.length - 1)));
  let start = end;
  let used = 0;
  while (start > 0) {
    const r = rows[start - 1] ?? 1;
    if (used + r > height && start < end) break;
    used += r;
    start--;
  }
  return { start, end, above: start > 0, below: end < rows.length };
}
