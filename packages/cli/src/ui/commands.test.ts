import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { COMMANDS, complete, helpLines, parseLine } from './commands.js';

describe('parseLine', () => {
  it.each([
    ['hello', { kind: 'say', text: 'hello' }],
    ['//not a command', { kind: 'say', text: '/not a command' }],
    ['/msg bob hi there', { kind: 'msg', user: 'bob', text: 'hi there' }],
    ['/whisper @Bob two\nlines', { kind: 'msg', user: 'bob', text: 'two\nlines' }],
    ['/open carol', { kind: 'open', user: 'carol' }],
    ['/OPEN carol', { kind: 'open', user: 'carol' }],
    ['/fingerprint', { kind: 'fingerprint' }],
    ['/fingerprint bob', { kind: 'fingerprint', user: 'bob' }],
    ['/who', { kind: 'who' }],
    ['/quit', { kind: 'quit' }],
  ])('%j', (line, action) => {
    expect(parseLine(line)).toEqual(action);
  });

  it.each([
    ['/nope', /unknown command \/nope/],
    ['/', /unknown command/],
    ['/msg', /usage: \/msg <user> <text>/],
    ['/msg bob', /usage: \/msg/],
    ['/msg bob    ', /usage: \/msg/],
    ['/msg B@d hi', /not a valid username: B@d/],
    ['/open', /usage: \/open <user>/],
    ['/open a b', /usage: \/open/],
    ['/open x', /not a valid username: x/],
    ['/fingerprint a b', /usage/],
    ['/who is there', /usage: \/who/],
  ])('%j is an inline error', (line, why) => {
    const a = parseLine(line);
    expect(a.kind).toBe('error');
    expect(a.kind === 'error' && a.message).toMatch(why);
  });

  it('every command is in the help, each line fits an 80-column screen beside the list', () => {
    const help = helpLines();
    for (const c of COMMANDS) expect(help.some((l) => l.startsWith(`/${c.name}`))).toBe(true);
    expect(help.some((l) => l.startsWith('/whisper'))).toBe(true);
    for (const l of help) expect(stringWidth(l)).toBeLessThanOrEqual(56);
  });
});

describe('complete', () => {
  const users = ['bob', 'bobby', 'carol'];
  it('completes a unique command, extends to the common prefix otherwise', () => {
    expect(complete('/op', users)).toEqual({ line: '/open ', candidates: ['open'] });
    expect(complete('/w', users)).toEqual({ line: '/wh', candidates: ['whisper', 'who'] });
    expect(complete('/zz', users)).toEqual({ line: '/zz', candidates: [] });
  });
  it('completes usernames after /msg, /open, /fingerprint and @', () => {
    expect(complete('/open c', users)).toEqual({ line: '/open carol ', candidates: ['carol'] });
    expect(complete('/msg b', users)).toEqual({ line: '/msg bob', candidates: ['bob', 'bobby'] });
    expect(complete('hi @ca', users)).toEqual({ line: 'hi @carol ', candidates: ['carol'] });
    expect(complete('/who b', users)).toEqual({ line: '/who b', candidates: [] });
    expect(complete('plain text', users)).toEqual({ line: 'plain text', candidates: [] });
  });
});
