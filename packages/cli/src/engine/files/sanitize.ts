/**
 * Turning a sender's file name into a safe local one (PROTOCOL.md §16.3): the name is hostile.
 */
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { unsafeLineCharacters } from '../../terminal-text.js';

/** The longest sanitised name in UTF-8 bytes: `.<name>.<32 hex>.part` then stays within NAME_MAX (255). */
export const MAX_NAME_BYTES = 200;

/** The longest prefix of `s` (whole code points) of at most `max` UTF-8 bytes. */
function prefixBytes(s: string, max: number): string {
  let out = '';
  let n = 0;
  for (const c of s) {
    n += Buffer.byteLength(c);
    if (n > max) break;
    out += c;
  }
  return out;
}

/** `s` cut to `max` bytes, keeping an extension of up to 16 bytes. */
function cutToBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  const ext = extname(s);
  const keep = ext && Buffer.byteLength(ext) <= 16 ? ext : '';
  return prefixBytes(s.slice(0, s.length - keep.length), max - Buffer.byteLength(keep)) + keep;
}

/**
 * Keeps the last path component (after `/` and `\`), replaces control characters (C0, DEL, C1), bidi, invisible
 * characters and `:` with `_`, drops leading dots and spaces and trailing dots and spaces, cuts to 200 bytes of
 * UTF-8 (keeping a short extension; file systems count a name's bytes, at most 255, and the temp name and a
 * ` (n)` suffix need room too), and falls back to `file`.
 * @example sanitizeFileName('../../etc/passwd') === 'passwd'
 */
export function sanitizeFileName(name: string): string {
  let s = name.split(/[/\\]/).pop() ?? '';
  // The characters terminal-text.ts escapes for one line (controls, bidi, invisible), and ':'.
  s = s.replace(unsafeLineCharacters(), '_').replace(/:/g, '_');
  s = s.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  s = cutToBytes(s, MAX_NAME_BYTES);
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
