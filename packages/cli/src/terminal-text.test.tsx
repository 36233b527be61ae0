/**
 * Every control class through every surface that shows another party's text (SECURITY.md "Terminal injection"):
 * the sanitiser itself, the plain output of the commands, error output, file names, and the session's components.
 * A surface passes when no unsafe character of the class reaches its output and the escape is visible instead.
 */
import { GROUP_NAME_FORBIDDEN, generateIdentity } from '@chat/crypto';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { formatMessageLine } from './commands/format.js';
import { reportError, type Io } from './commands/io.js';
import { handshake, scriptedRelay } from '../test/helpers.js';
import { Connection } from './engine/net/connection.js';
import { ChatError, printable } from './engine/errors.js';
import { listRooms } from './engine/groups/index.js';
import type { Messenger } from './engine/messenger.js';
import { sanitizeFileName } from './engine/files/sanitize.js';
import { hasUnsafeCharacters, inertLine, inertText } from './terminal-text.js';
import { Banner } from './ui/Banner.js';
import { ConversationList } from './ui/ConversationList.js';
import { InputLine } from './ui/InputLine.js';
import { MessagePane } from './ui/MessagePane.js';
import type { PaneItem } from './ui/view.js';

/** One sample per class, with the escape it must show as. */
const CLASSES: [string, string, string][] = [
  ['C0: ESC starting OSC 52 (clipboard)', '\x1b]52;c;Y3VybA==\x07', '\\x1b]52;c;Y3VybA==\\x07'],
  ['C0: ESC starting OSC 2 (title)', '\x1b]2;pwned\x07', '\\x1b]2;pwned\\x07'],
  ['C0: ESC starting CSI 2J (clear screen)', '\x1b[2J', '\\x1b[2J'],
  ['C0: carriage return', 'a\rb', 'a\\x0db'],
  ['C0: backspace', 'a\bb', 'a\\x08b'],
  ['DEL', 'a\x7fb', 'a\\x7fb'],
  ['C1: one-byte CSI', '\u009b2J', '\\x9b2J'],
  ['C1: one-byte OSC', '\u009d2;t\u009c', '\\x9d2;t\\x9c'],
  ['bidi override', 'a\u202eb', 'a\\u202eb'],
  ['bidi isolate', 'a\u2066b\u2069', 'a\\u2066b\\u2069'],
  ['bidi mark', 'a\u200fb', 'a\\u200fb'],
  ['zero-width space', 'al\u200bice', 'al\\u200bice'],
  ['byte order mark', '\ufeffalice', '\\ufeffalice'],
  ['line separator', 'a\u2028b', 'a\\u2028b'],
  ['Hangul filler', 'al\u3164ice', 'al\\u3164ice'],
  ['Hangul choseong filler', '\u115f\u1160alice', '\\u115f\\u1160alice'],
  ['halfwidth Hangul filler', 'al\uffa0ice', 'al\\uffa0ice'],
  ['combining grapheme joiner', 'al\u034fice', 'al\\u034fice'],
  ['Khmer inherent vowel', 'al\u17b4\u17b5ice', 'al\\u17b4\\u17b5ice'],
  ['deprecated format characters', 'a\u206ab\u206f', 'a\\u206ab\\u206f'],
  ['interlinear annotation', 'a\ufff9b\ufffbc', 'a\\ufff9b\\ufffbc'],
  ['musical formatting', 'a\u{1d173}b\u{1d17a}', 'a\\u{1d173}b\\u{1d17a}'],
  ['braille blank', 'al\u2800ice', 'al\\u2800ice'],
  ['variation selector 1', 'a\ufe00b', 'a\\ufe00b'],
];
const UNSAFE =
  /(?![\u200c\u200d\ufe0f])[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\p{Default_Ignorable_Code_Point}\p{Cf}\u115f\u1160\u3164\uffa0\u2800]/u;

const frameOf = (node: React.ReactElement): string => render(node).lastFrame() ?? '';

describe.each(CLASSES)('%s', (_class, raw, shown) => {
  it('is escaped, visibly, by inertText and inertLine, and flagged for group names', () => {
    expect(inertText(`x${raw}y`)).toBe(`x${shown}y`);
    expect(inertLine(`x${raw}y`)).toBe(`x${shown}y`);
    expect(hasUnsafeCharacters(raw)).toBe(true);
    // The protocol's rule for group names (§15.3) refuses the same classes the renderers escape.
    expect(GROUP_NAME_FORBIDDEN.test(raw)).toBe(true);
  });

  it('does not reach the plain output: message lines, refusal texts, errors, file names', () => {
    const line = formatMessageLine({ receivedAt: 0, ts: 0, from: `#g${raw}`, body: `hi${raw}` });
    expect(line).not.toMatch(UNSAFE);
    expect(line).toContain(shown);
    expect(printable(raw)).toBe(shown);
    let err = '';
    const io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err += s) },
      env: {},
    } as unknown as Io;
    reportError(io, new ChatError('NO_SUCH_GROUP', `no group ${raw}`, { hint: `try ${raw}` }));
    expect(err).not.toMatch(UNSAFE);
    expect(err).toContain(shown);
    expect(sanitizeFileName(`f${raw}.txt`)).not.toMatch(UNSAFE);
  });

  it('does not reach the session: conversation list, pane (sender, body, notice), prompt, typing, banner', () => {
    const name = `#g${raw}`;
    const frames = [
      frameOf(
        <ConversationList
          rows={[{ peer: name, unread: 1, online: false, lastSeen: null, muted: false, typing: false }]}
          current={name}
          width={60}
          height={5}
          color={false}
        />,
      ),
      frameOf(
        <MessagePane
          items={[
            {
              type: 'message',
              id: '1',
              peer: `m${raw}`,
              direction: 'in',
              body: `hi${raw}`,
              ts: 0,
              relayTs: 0,
              receivedAt: 0,
              state: null,
            } as PaneItem,
            { type: 'notice', key: 'n', ts: 1, text: `mallory created ${name}`, level: 'info' },
          ]}
          me="bob"
          width={90}
          height={8}
          color={false}
        />,
      ),
      frameOf(<InputLine prompt={`${name}> `} value="" candidates={[name]} typing={[]} width={90} disabled={false} />),
      frameOf(<InputLine prompt="> " value="" candidates={[]} typing={[name]} width={90} disabled={false} />),
      frameOf(<Banner peer={name} color={false} width={90} />),
    ];
    for (const f of frames) {
      expect(f).not.toMatch(UNSAFE);
      expect(f).toContain('\\');
    }
  });
});

describe('combining marks', () => {
  it('shows at most four on one letter; the rest become visible escapes', () => {
    const pile = `Z${'\u0301'.repeat(50)}!`;
    const shown = `Z${'\u0301'.repeat(4)}${'\\u0301'.repeat(46)}!`;
    expect(inertText(pile)).toBe(shown);
    expect(inertLine(pile)).toBe(shown);
    expect(hasUnsafeCharacters(pile)).toBe(true);
    expect(GROUP_NAME_FORBIDDEN.test(pile)).toBe(true);
  });
  it('keeps the few marks real text uses', () => {
    expect(inertLine('cafe\u0301 Tiê\u0301ng नमस्ते')).toBe('cafe\u0301 Tiê\u0301ng नमस्ते');
    expect(hasUnsafeCharacters('Tiê\u0301ng')).toBe(false);
  });
});

describe('variation selectors', () => {
  it('keeps the emoji presentation selector (VS16) in bodies, escapes it in one line', () => {
    expect(inertText('❤\ufe0f 1\ufe0f\u20e3')).toBe('❤\ufe0f 1\ufe0f\u20e3');
    expect(inertLine('a❤\ufe0f')).toBe('a❤\\ufe0f');
  });
});

describe('what stays', () => {
  it('keeps newlines and tabs in text, emoji with joiners, and any script', () => {
    expect(inertText('line 1\n\tline 2 👩‍💻 東京 café دردشة')).toBe('line 1\n\tline 2 👩‍💻 東京 café دردشة');
  });
  it('escapes newlines, tabs and joiners in one line', () => {
    expect(inertLine('ops\n[10:00] alice: hi\tx\u200d')).toBe('ops\\x0a[10:00] alice: hi\\x09x\\u200d');
  });
});

describe('room names from the relay (PROTOCOL.md §15.6)', () => {
  it('a list with a name that is not a room name is a relay protocol error, not printed', async () => {
    const { server, port } = await scriptedRelay((frame, _socket, reply) => {
      if (handshake(frame, reply)) return;
      if (frame.t === 'room') reply({ t: 'rooms', rid: frame.rid, names: ['general', 'x\x1b]2;pwned\x07'] });
    });
    try {
      const conn = await Connection.open({
        address: { host: '127.0.0.1', port },
        username: 'alice',
        identity: generateIdentity(),
        mode: 'send',
      });
      try {
        const m = { withConnectionFor: <T,>(f: (c: Connection) => Promise<T>) => f(conn) } as unknown as Messenger;
        const err = await listRooms(m).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ChatError);
        expect(err).toMatchObject({ code: 'RELAY_PROTOCOL' });
        expect((err as Error).message).not.toMatch(UNSAFE);
        expect((err as Error).message).toContain('\\x1b]2;pwned');
      } finally {
        await conn.close();
      }
    } finally {
      server.close();
    }
  });
});
