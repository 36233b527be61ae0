/**
 * Word wrap with a hanging indent, done here rather than by Ink: the pane must know where every row starts, so that
 * no row of a message but its first starts at column 0 (SECURITY.md, "Spoofed sender lines": a body padded to the
 * pane's width would otherwise put a fake `HH:MM alice: …` where real messages start).
 */
import stringWidth from 'string-width';
import { isPrintableAscii } from '../terminal-text.js';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The columns `s` takes on the terminal (string-width: wide CJK and emoji 2, combining marks and ZWJ joins 0). Printable
 * ASCII by its length: string-width made laying out a page of 100 messages cost 30-250 ms.
 */
export const displayWidth = (s: string): number => (isPrintableAscii(s) ? s.length : stringWidth(s));

/**
 * The rows of `text`: the first at most `first` columns wide, every later one at most `rest`; each `\n` starts a new
 * row. Breaks between words (spaces at a break are dropped); a word longer than a row is broken between graphemes.
 * @example wrapRows('aaa bbb ccc', 7, 5) → ['aaa bbb', 'ccc']
 */
export function wrapRows(text: string, first: number, rest: number): string[] {
  const rows: string[] = [];
  let limit = Math.max(1, first);
  let cur = '';
  let w = 0;
  const push = (): void => {
    rows.push(cur.replace(/ +$/, ''));
    cur = '';
    w = 0;
    limit = Math.max(1, rest);
  };
  const add = (s: string, sw: number): void => {
    cur += s;
    w += sw;
  };
  for (const line of text.split('\n')) {
    const lineStart = rows.length;
    for (const word of line.split(/(?<= )/)) {
      const ww = displayWidth(word);
      if (w + ww <= limit) {
        add(word, ww);
        continue;
      }
      const bare = word.replace(/ +$/, '');
      const bw = displayWidth(bare);
      if (w + bw <= limit) {
        add(bare, bw);
        push();
        continue;
      }
      if (w > 0 && bw <= Math.max(1, rest)) {
        push();
        if (ww <= limit) add(word, ww);
        else {
          add(bare, bw);
          push();
        }
        continue;
      }
      for (const { segment: g } of graphemes.segment(word)) {
        const gw = displayWidth(g);
        if (w + gw > limit && w > 0) {
          push();
          if (g === ' ') continue;
        }
        add(g, gw);
      }
    }
    if (cur !== '' || rows.length === lineStart) push();
  }
  return rows;
}
