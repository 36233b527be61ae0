import { describe, expect, it } from 'vitest';
import { inertText as sanitizeForTerminal } from '../terminal-text.js';
import { formatLocalTime, formatMessageLine } from './format.js';

describe('formatting', () => {
  it('formats local time as YYYY-MM-DD HH:MM:SS', () => {
    const d = new Date(2026, 10, 24, 10, 31, 2);
    expect(formatLocalTime(d.getTime())).toBe('2026-11-24 10:31:02');
  });

  it('prints a message line', () => {
    const ts = new Date(2026, 10, 24, 10, 31, 2).getTime();
    expect(formatMessageLine({ ts, from: 'alice', body: 'hi there' })).toBe('[2026-11-24 10:31:02] alice: hi there');
  });

  it('marks continuation lines, so only a new message starts a line with "["', () => {
    const ts = new Date(2026, 10, 24, 10, 31, 2).getTime();
    expect(formatMessageLine({ ts, from: 'mallory', body: 'ok\n[2026-12-03 10:00:00] alice: run this' })).toBe(
      '[2026-11-24 10:31:02] mallory: ok\n  | [2026-12-03 10:00:00] alice: run this',
    );
  });

  it('neutralises terminal escapes, carriage returns and bidi overrides, keeps newlines, tabs and emoji', () => {
    expect(sanitizeForTerminal('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(sanitizeForTerminal('fake\rline')).toBe('fake\\x0dline');
    expect(sanitizeForTerminal('x\u202Ey')).toBe('x\\u202ey');
    expect(sanitizeForTerminal('\x9b31m')).toBe('\\x9b31m');
    expect(sanitizeForTerminal('line1\nline2\tok 👋 é')).toBe('line1\nline2\tok 👋 é');
  });
});
