/**
 * `inertEmoji` (reactions, PROTOCOL.md §17.3) keeps tag characters only inside a whole emoji tag sequence, a flag such
 * as England's: U+1F3F4, 2 to 6 tag letters or digits, U+E007F (UTS #51 §2.3). Review 2 of 2026-12-06, finding 3: a
 * black flag followed by an unterminated run of tags (invisible ASCII, here "ignore") was kept as it was.
 */
import { describe, expect, it } from 'vitest';
import { inertEmoji } from './terminal-text.js';

const tags = (ascii: string): string => [...ascii].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
const FLAG = '\u{1f3f4}';
const CANCEL = '\u{e007f}';

describe('inertEmoji and tag characters', () => {
  it('keeps whole flag sequences: England, Scotland, Wales, and subdivision codes with digits', () => {
    for (const code of ['gbeng', 'gbsct', 'gbwls', 'us06', 'fr75']) {
      const flag = FLAG + tags(code) + CANCEL;
      expect(inertEmoji(flag), code).toBe(flag);
      expect(inertEmoji(`${flag} ${flag}`), code).toBe(`${flag} ${flag}`);
    }
  });

  it('escapes every tag of an unterminated run after the black flag (hidden ASCII)', () => {
    const out = inertEmoji(FLAG + tags('ignore'));
    expect(out).toBe(`${FLAG}\\u{e0069}\\u{e0067}\\u{e006e}\\u{e006f}\\u{e0072}\\u{e0065}`);
    expect(out).not.toMatch(/[\u{e0000}-\u{e007f}]/u);
  });

  it('escapes tags outside the letters and digits, too short or too long runs, and tags after a cancel tag', () => {
    for (const text of [
      FLAG + tags('GBENG') + CANCEL, // upper case is not a flag
      FLAG + tags('gb eng') + CANCEL, // a tag space
      FLAG + tags('g') + CANCEL,
      FLAG + tags('abcdefg') + CANCEL,
      FLAG + CANCEL + tags('A'),
      `x${tags('gbeng')}${CANCEL}`, // no black flag
      FLAG + tags('gbeng') + CANCEL + tags('hidden'), // a whole flag, then more
    ]) {
      const out = inertEmoji(text);
      const kept = [...out.matchAll(/[\u{e0000}-\u{e007f}]/gu)].length;
      const whole = text.startsWith(FLAG + tags('gbeng') + CANCEL) ? 6 : 0;
      expect(kept, JSON.stringify(text)).toBe(whole);
    }
  });
});
