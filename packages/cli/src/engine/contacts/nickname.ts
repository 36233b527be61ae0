/**
 * Local nicknames (issue 15, `chat nick`): what a valid one is, and how it is shown — always beside the username,
 * `alice (Al)`, never instead of it, so a nickname cannot make one user look like another.
 */
import { ChatError } from '../errors.js';

/** The longest nickname, in characters (code points). */
export const MAX_NICKNAME_CHARS = 32;

// Controls, line/paragraph separators, format characters (bidi, zero-width) and default-ignorables: a nickname is
// one visible line. The renderers escape them anyway (terminal-text.ts); refusing them keeps the stored name honest.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/**
 * `name` trimmed, checked: 1 to MAX_NICKNAME_CHARS characters, no control, format or invisible characters.
 * @throws {ChatError} USAGE with what is allowed.
 * @example checkNickname('  Al ') // 'Al'
 */
export function checkNickname(name: string): string {
  const n = name.trim();
  const chars = [...n].length;
  if (chars === 0 || chars > MAX_NICKNAME_CHARS || UNSAFE.test(n))
    throw new ChatError(
      'USAGE',
      `a nickname is 1 to ${MAX_NICKNAME_CHARS} visible characters on one line (no control or invisible characters)`,
      { hint: 'chat nick <user> --clear removes one' },
    );
  return n;
}

/** `alice (Al)`, or `alice` without a nickname. The caller makes the result inert for a terminal. */
export function withNickname(user: string, nicknames: ReadonlyMap<string, string>): string {
  const nick = nicknames.get(user);
  return nick === undefined ? user : `${user} (${nick})`;
}
