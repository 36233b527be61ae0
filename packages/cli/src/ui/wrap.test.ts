import stringWidth from 'string-width';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wrapRows } from './wrap.js';

describe('wrapRows', () => {
  it('breaks between words, the first row at its own width, later rows at theirs', () => {
    expect(wrapRows('aaa bbb ccc', 7, 5)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapRows('aaa bbb ', 7, 5)).toEqual(['aaa bbb']);
    expect(wrapRows('one two three four', 8, 6)).toEqual(['one two', 'three', 'four']);
  });
  it('breaks a long word between graphemes, wide characters by their width', () => {
    expect(wrapRows('x'.repeat(12), 5, 4)).toEqual(['xxxxx', 'xxxx', 'xxx']);
    expect(wrapRows('東京東京東京', 5, 5)).toEqual(['東京', '東京', '東京']);
    expect(wrapRows('👩‍💻👩‍💻👩‍💻', 4, 4)).toEqual(['👩‍💻👩‍💻', '👩‍💻']);
  });
  it('keeps newlines as row breaks, empty lines included', () => {
    expect(wrapRows('a\n\nb', 5, 5)).toEqual(['a', '', 'b']);
    expect(wrapRows('', 5, 5)).toEqual(['']);
  });
  it('no row is wider than its limit, and no text is lost but spaces at breaks (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '東', 'é') }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 2, max: 30 }),
        (text, first, rest) => {
          const rows = wrapRows(text, first, rest);
          rows.forEach((r, i) => expect(stringWidth(r)).toBeLessThanOrEqual(i === 0 ? first : rest));
          expect(rows.join('').replace(/[ \n]/g, '')).toBe(text.replace(/[ \n]/g, ''));
        },
      ),
    );
  });
});
