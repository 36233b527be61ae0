/**
 * Turning a sender's file name into a safe local one (PROTOCOL.md §16.3): the name is hostile.
 */
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { unsafeLineCharacters } from '../../terminal-text.js';

/**
 * Keeps the last path component (after `/` and `\`), replaces control characters (C0, DEL, C1), bidi, invisible
 * characters and `:` with `_`, drops leading dots and spaces and trailing dots and spaces, cuts to 200 UTF-16 units, and falls
 * back to `file`.
 * @example sanitizeFileName('../../etc/passwd') === 'passwd'
 */
export function sanitizeFileName(name: string): string {
  let s = name.split(/[/\\]/).pop() ?? '';
  // The characters terminal-text.ts escapes for one line (controls, bidi, invisible), and ':'.
  s = s.replace(unsafeLineCharacters(), '_').replace(/:/g, '_');
  s = s.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (s.length > 200) s = s.slice(0, 200);
  return s === '' ? 'file' : s;
}

/** `dir/name`, or `dir/stem (n).ext` with the smallest n ≥ 1 that does not exist yet: never overwrites. */
export function uniquePath(dir: string, name: string): string {
  let candidate = join(dir, name);
  if (!existsSync(candidate)) return candidate;
  const ext = extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let n = 1; ; n++) {
    candidate = join(dir, `${stem} (${n})${ext}`);
    if (!existsSync(candidate)) return candidate;
  }
}
