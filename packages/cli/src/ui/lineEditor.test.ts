import { describe, expect, it } from 'vitest';
import { editLine, initialLine, splitKeys, type KeyInfo, type LineEffect, type LineState } from './lineEditor.js';

/** Feeds events the way useInputLine does; returns the final state and every line submitted. */
function feed(events: [string, KeyInfo?][], s: LineState = initialLine()): { s: LineState; sent: string[] } {
  const sent: string[] = [];
  for (const [input, key] of events) {
    let effect: LineEffect;
    [s, effect] = editLine(s, input, key ?? {});
    if (effect && 'submit' in effect) sent.push(effect.submit);
  }
  return { s, sent };
}

describe('editLine', () => {
  it('types, deletes by code point (emoji included) and sends on Enter', () => {
    const { s, sent } = feed([['h'], ['i'], ['🎉'], ['', { backspace: true }], ['!'], ['', { return: true }]]);
    expect(sent).toEqual(['hi!']);
    expect(s.value).toBe('');
  });

  it('a bracketed paste of several lines is one message, its CRs becoming newlines', () => {
    const { sent } = feed([
      ['[200~'],
      ['line one\rline two\r'],
      ['', { return: true }],
      ['line three'],
      ['[201~'],
      ['', { return: true }],
    ]);
    expect(sent).toEqual(['line one\nline two\n\nline three']);
  });

  it('a paste without bracketed mode arrives as one chunk with line breaks: still one message', () => {
    expect(feed([['a\rb\rc'], ['', { return: true }]]).sent).toEqual(['a\nb\nc']);
    expect(feed([['typed fast\r']]).sent).toEqual(['typed fast']);
  });

  it('history: Up walks back, Down returns to the draft', () => {
    const { s } = feed([
      ['one'],
      ['', { return: true }],
      ['two'],
      ['', { return: true }],
      ['dra'],
      ['', { upArrow: true }],
      ['', { upArrow: true }],
      ['', { upArrow: true }],
    ]);
    expect(s.value).toBe('one');
    const back = feed(
      [
        ['', { downArrow: true }],
        ['', { downArrow: true }],
      ],
      s,
    ).s;
    expect(back.value).toBe('dra');
  });

  it('Ctrl-U clears, Ctrl-W deletes a word, escapes and stray controls never enter the line', () => {
    expect(feed([['hello world'], ['w', { ctrl: true }]]).s.value).toBe('hello ');
    expect(feed([['hello'], ['u', { ctrl: true }]]).s.value).toBe('');
    expect(feed([['a\u0007b\u001b']]).s.value).toBe('ab');
  });

  it('Tab asks for completion', () => {
    expect(editLine(initialLine(), '', { tab: true })[1]).toEqual({ complete: true });
  });
});

describe('splitKeys', () => {
  it('splits control keys out of a typed chunk', () => {
    expect(splitKeys('/op\t')).toEqual([{ input: '/op' }, { input: '', tab: true }]);
    expect(splitKeys('\u0015/help\r')).toEqual([
      { input: 'u', ctrl: true },
      { input: '/help' },
      { input: '', return: true },
    ]);
    expect(splitKeys('ab\u007f')).toEqual([{ input: 'ab' }, { input: '', backspace: true }]);
  });
  it('leaves plain text and a line-break-only paste whole', () => {
    expect(splitKeys('hello')).toEqual([{ input: 'hello' }]);
    expect(splitKeys('a\rb\rc')).toEqual([{ input: 'a\rb\rc' }]);
  });
});
