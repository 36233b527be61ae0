/**
 * The one place where text another party controls is made safe for a terminal: message bodies, group and room names,
 * file names and types, refusal reasons, anything from a peer or the relay. Every renderer (the plain commands, the
 * Ink session, error output) goes through `inertText` (multi-line text) or `inertLine` (one line: names, reasons),
 * or for a reaction `inertEmoji` (`inertLine` that leaves emoji sequences whole).
 *
 * Nothing is dropped: an unsafe character becomes a visible escape (`\x1b`, `\u202e`), so the reader sees that
 * something was there and an escape sequence such as OSC 52 (clipboard), OSC 2 (title) or CSI 2J (clear screen)
 * reaches the terminal as plain text that starts with `\x1b`. The classes (SECURITY.md, "Terminal injection"):
 *
 * - C0 controls (U+0000–U+001F) except tab and newline in `inertText`: ESC starts every escape sequence, CR and
 *   BS overwrite what is already on the line, BEL rings.
 * - DEL and the C1 controls (U+007F–U+009F): U+009B is a one-byte CSI, U+009D a one-byte OSC for some terminals.
 * - Bidi overrides, embeddings, isolates and marks (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): text
 *   shown in another order than stored (CVE-2021-42574, "Trojan Source").
 * - U+2028 and U+2029, line and paragraph separators: a line break the line-based layout does not see.
 * - Invisible and format characters, by Unicode property: every `Default_Ignorable_Code_Point` and every `Cf` (zero-width
 *   space, U+2060–U+206F, BOM, soft hyphen, U+034F, U+17B4/U+17B5, variation selectors, U+FFF9–U+FFFB, U+1D173–U+1D17A,
 *   tags), plus the fillers that render as blanks though Unicode does not call them ignorable (Hangul fillers U+115F,
 *   U+1160, U+3164, U+FFA0, listed explicitly in case a runtime's tables differ, and U+2800 braille blank): `alice`
 *   and `al\u200bice` look the same. `inertText` keeps U+200C and U+200D (ZWNJ, ZWJ), U+FE0F (emoji presentation)
 *   and the tag characters U+E0020–U+E007F, since emoji sequences (👩‍💻, ❤️, flags) and several scripts need them;
 *   `inertLine` escapes those too.
 * - Combining marks (`\p{M}`) past the fourth in a row: a letter with fifty accents piles over the rows around it.
 *   Real text needs a few (Vietnamese, Devanagari); the rest become escapes.
 */

const CONTROLS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f';
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const SEPARATORS = '\\u2028\\u2029';
const INVISIBLE = '\\p{Default_Ignorable_Code_Point}\\p{Cf}\\u115f\\u1160\\u3164\\uffa0\\u2800';
/** What `inertText` keeps of INVISIBLE: joiners, the emoji presentation selector, tags (emoji flag sequences). */
const EMOJI_KEEP = '\\u200c\\u200d\\ufe0f\\u{e0020}-\\u{e007f}';
const MAX_MARKS = 4;

const TEXT_UNSAFE = new RegExp(`(?![${EMOJI_KEEP}])[${CONTROLS}${BIDI}${SEPARATORS}${INVISIBLE}]`, 'gu');
const LINE_UNSAFE = new RegExp(`[\\t\\n${CONTROLS}${BIDI}${SEPARATORS}${INVISIBLE}]`, 'gu');
/** A combining mark with MAX_MARKS marks right before it. */
const EXCESS_MARK = new RegExp(`(?<=\\p{M}{${MAX_MARKS}})\\p{M}`, 'gu');
const MARK_PILE = new RegExp(`\\p{M}{${MAX_MARKS + 1}}`, 'u');

/** Whether `text` holds a character `inertLine` would escape: for refusing such names outright (group names, §15.3). */
export function hasUnsafeCharacters(text: string): boolean {
  LINE_UNSAFE.lastIndex = 0;
  return LINE_UNSAFE.test(text) || MARK_PILE.test(text);
}

/**
 * Printable ASCII: one terminal column a character, so its width is its length. Most words of most messages and
 * names are, and measuring them so skips string-width (its segmenting and regular expressions, and 50-80 ms to load).
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
export const isPrintableAscii = (s: string): boolean => PRINTABLE_ASCII.test(s);

/** The unsafe characters of `inertLine`, for callers that replace rather than escape (file names on disk). */
export const unsafeLineCharacters = (): RegExp => new RegExp(LINE_UNSAFE.source, 'gu');

function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
}

/**
 * Multi-line text from another party (a message body, a notice that quotes one): every unsafe character becomes a
 * visible escape; newlines and tabs stay (the renderer indents and expands them).
 * @example inertText('hi\x1b]2;owned\x07') === 'hi\\x1b]2;owned\\x07'
 */
export function inertText(text: string): string {
  return text.replace(TEXT_UNSAFE, escapeChar).replace(EXCESS_MARK, escapeChar);
}

/**
 * One line from another party (a user, group, room or file name, a reason): like `inertText`, and newlines, tabs,
 * joiners, VS16 and tag characters become escapes too, so the value cannot start a line of its own or hide in a lookalike.
 * @example inertLine('ops\n[10:00] alice: hi') === 'ops\\x0a[10:00] alice: hi'
 */
export function inertLine(text: string): string {
  return text.replace(LINE_UNSAFE, escapeChar).replace(EXCESS_MARK, escapeChar);
}

/** Emoji that a ZWJ may join or a VS16 may follow, and the emoji tag sequence (a flag such as England's). */
const JOINABLE = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]\ufe0f?$/u;
const PRESENTABLE = /\p{Emoji}$/u;
const NEXT_JOINABLE = /^\p{Extended_Pictographic}/u;
/**
 * A whole emoji tag sequence (UTS #51 §2.3, the flags of England, Scotland, Wales): U+1F3F4, 2 to 6 tag letters or
 * digits (U+E0061–E007A, U+E0030–E0039), U+E007F. Only its tags stay: an unterminated run, or tags anywhere else,
 * would carry invisible ASCII (review 2 of 2026-12-06, finding 3).
 */
const FLAG_SEQUENCE = /\u{1f3f4}[\u{e0030}-\u{e0039}\u{e0061}-\u{e007a}]{2,6}\u{e007f}/gu;

/** UTF-16 offsets of the tag characters that belong to a whole flag sequence in `s`. */
function flagTags(s: string): Set<number> {
  const at = new Set<number>();
  for (const m of s.matchAll(FLAG_SEQUENCE)) {
    for (let i = m.index + 2; i < m.index + m[0].length; i += 2) at.add(i); // after U+1F3F4; each tag is 2 units
  }
  return at;
}

/** Whether the joiner, VS16 or tag `c` at `at` in `s` is part of an emoji sequence (UTS #51) rather than hidden. */
function inEmojiSequence(c: string, at: number, s: string, tagsKept: Set<number>): boolean {
  const before = s.slice(0, at);
  if (c === '\ufe0f') return PRESENTABLE.test(before) && !before.endsWith('\ufe0f');
  if (c === '\u200d') return JOINABLE.test(before) && NEXT_JOINABLE.test(s.slice(at + 1));
  return tagsKept.has(at);
}

/**
 * A reaction (§17.3, at most 64 bytes) from another party: like `inertLine`, except that a ZWJ between two emoji, a
 * VS16 after an emoji and the tags of a flag sequence stay, so a red heart (U+2764 U+FE0F), woman ZWJ laptop and
 * England's flag show as emoji. Anywhere else they are escaped like every other invisible character: the exception
 * is for emoji sequences (UTS #51), not a hiding place.
 * @example inertEmoji('\u2764\ufe0f') === '\u2764\ufe0f' (a red heart); inertEmoji('a\u200db') === 'a\\u200db'
 */
export function inertEmoji(text: string): string {
  const tagsKept = flagTags(text);
  return text
    .replace(LINE_UNSAFE, (c: string, at: number, s: string) =>
      inEmojiSequence(c, at, s, tagsKept) ? c : escapeChar(c),
    )
    .replace(EXCESS_MARK, escapeChar);
}
