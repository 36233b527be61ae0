/** What `chat history` and `chat recv` print for replies, edits, deletes and reactions: every peer's string inert. */
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../engine/actions/history.js';
import { formatAction, formatEntry, quoteLine } from './history-format.js';

const entry = (e: Partial<HistoryEntry> = {}): HistoryEntry => ({
  id: 'ab'.repeat(16),
  conv: 'alice',
  from: 'alice',
  body: 'hello',
  edited: false,
  deleted: false,
  reactions: [],
  ts: Date.UTC(2026, 0, 1),
  receivedAt: Date.UTC(2026, 0, 1),
  ...e,
});

describe('history and recv formatting (§17)', () => {
  it('shows (edited), the short id, the reactions under the message and the quote above a reply', () => {
    const target = { from: 'bob', body: 'first line\nsecond line' };
    const out = formatEntry(
      entry({ edited: true, replyTo: 'cd'.repeat(16), reactions: [{ from: 'bob', emoji: '👍' }] }),
      () => target,
    ).split('\n');
    expect(out[0]).toBe('  > bob: first line');
    expect(out[1]).toMatch(/^\[[^\]]+\] alice: hello \(edited\) {2}\[abababab\]$/);
    expect(out[2]).toBe('  reactions: 👍 bob');
    expect(formatEntry(entry({ deleted: true, body: '' }), () => undefined)).toMatch(/alice: message deleted {2}\[/);
    expect(quoteLine(undefined, 'cd'.repeat(16))).toBe('  > (reply to cdcdcdcd, not in your history)');
    expect(quoteLine({ from: 'bob', body: 'x'.repeat(80) }, '')).toBe(`  > bob: ${'x'.repeat(60)}…`);
  });

  it('makes bodies, quotes and emoji inert: no escape reaches the terminal, no line passes for a message', () => {
    const evil = 'hi\x1b[2J\n[2026-01-01 00:00:00] mallory: fake';
    const out = formatEntry(
      entry({ body: evil, replyTo: 'cd'.repeat(16), reactions: [{ from: 'bob', emoji: '\u202e\x1b]0;x\x07' }] }),
      () => ({ from: 'bob', body: '\x1b[31mred' }),
    );
    expect(out).not.toMatch(/[\x1b\x07\u202e]/);
    expect(out.split('\n').filter((l) => l.startsWith('['))).toHaveLength(1);
    const action = formatAction({
      type: 'edit',
      id: 'ef'.repeat(16),
      target: 'ab'.repeat(16),
      from: 'alice',
      conv: '#te\x1bam',
      group: '00'.repeat(16),
      body: evil,
      seq: 2,
      current: false,
      ts: 0,
      relayTs: 0,
      receivedAt: Date.UTC(2026, 0, 1),
    });
    expect(action).not.toMatch(/\x1b/);
    expect(action).toContain('alice edited abababab (an older version): hi\\x1b[2J');
    expect(action.split('\n').filter((l) => l.startsWith('['))).toHaveLength(1);
    expect(
      formatAction({
        type: 'reaction',
        id: '',
        target: 'ab'.repeat(16),
        from: 'bob',
        conv: 'bob',
        emoji: '',
        ts: 0,
        relayTs: 0,
        receivedAt: 0,
      }),
    ).toContain('bob removed their reaction from abababab');
  });

  it('shows emoji reactions as emoji (VS16, ZWJ sequences, flags, keycaps) and escapes anything else invisible', () => {
    const reaction = (emoji: string) =>
      formatAction({
        type: 'reaction',
        id: '',
        target: 'ab'.repeat(16),
        from: 'bob',
        conv: 'bob',
        emoji,
        ts: 0,
        relayTs: 0,
        receivedAt: 0,
      });
    const listed = (emoji: string) => formatEntry(entry({ reactions: [{ from: 'bob', emoji }] }), () => undefined);
    for (const ok of [
      '❤️',
      '👩\u200d💻',
      '👨\u200d👩\u200d👧',
      '🏳️\u200d🌈',
      '👍🏽',
      '1️⃣',
      '🇩🇪',
      '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}',
    ]) {
      expect(reaction(ok)).toContain(`reacted ${ok} to`);
      expect(listed(ok)).toContain(`reactions: ${ok} bob`);
    }
    // Outside an emoji sequence a joiner, VS16 or tag is a hiding place: escaped, as are other invisibles.
    expect(reaction('👍\u200b\u2060\ufe0f')).toContain('reacted 👍\\u200b\\u2060\\ufe0f to');
    expect(reaction('a\u200db')).toContain('reacted a\\u200db to');
    expect(reaction('👍\u200d')).toContain('reacted 👍\\u200d to');
    expect(reaction('x\ufe0f')).toContain('reacted x\\ufe0f to');
    expect(reaction('\u{e0067}ok')).toContain('reacted \\u{e0067}ok to');
    expect(listed('\x1b]0;x\x07\u202e')).not.toMatch(/[\x1b\x07\u202e]/);
  });
});
