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
    ['/verify bob', { kind: 'verify', user: 'bob' }],
    [
      '/verify bob 12345 67890 12345 67890 12345 67890 12345 67890 12345 67890 12345 67890',
      { kind: 'verify', user: 'bob', digits: '123456789012345678901234567890123456789012345678901234567890' },
    ],
    ['/trust @bob', { kind: 'trust', user: 'bob' }],
    ['/admin users', { kind: 'admin', op: 'users' }],
    ['/admin kick bob upgrade now please', { kind: 'admin', op: 'kick', user: 'bob', reason: 'upgrade now please' }],
    ['/admin ban mallory', { kind: 'admin', op: 'ban', user: 'mallory' }],
    ['/file ~/My Report.pdf', { kind: 'file', path: '~/My Report.pdf' }],
    ['/accept', { kind: 'accept' }],
    ['/accept 3F9A1C2E', { kind: 'accept', id: '3f9a1c2e' }],
    ['/decline 3f9a', { kind: 'decline', id: '3f9a' }],
    ['/reply 1A2B3C4D sure thing', { kind: 'reply', id: '1a2b3c4d', text: 'sure thing' }],
    ['/reply sure thing', { kind: 'reply', text: 'sure thing' }],
    ['/reply 1a2b3c4d', { kind: 'reply', text: '1a2b3c4d' }],
    ['/edit 1a2b3c4d two\nlines', { kind: 'edit', id: '1a2b3c4d', text: 'two\nlines' }],
    ['/delete 1a2b3c4d', { kind: 'delete', id: '1a2b3c4d', forMe: false }],
    ['/delete --for-me 1a2b3c4d', { kind: 'delete', id: '1a2b3c4d', forMe: true }],
    ['/react 1a2b3c4d 👍', { kind: 'react', id: '1a2b3c4d', emoji: '👍' }],
    ['/react 1a2b3c4d', { kind: 'react', id: '1a2b3c4d', emoji: '' }],
    ['/search deploy  failed', { kind: 'search', text: 'deploy  failed' }],
    ['/block @Mallory', { kind: 'block', user: 'mallory' }],
    ['/unblock mallory', { kind: 'unblock', user: 'mallory' }],
    ['/close', { kind: 'close' }],
    ['/close @Bob', { kind: 'close', target: 'bob' }],
    ['/close #team', { kind: 'close', target: '#team' }],
    ['/nick bob', { kind: 'nick', user: 'bob' }],
    ['/nick bob Bob the Builder ', { kind: 'nick', user: 'bob', name: 'Bob the Builder' }],
    ['/nick bob --clear', { kind: 'nick', user: 'bob', name: '--clear' }],
  ])('%j', (line, action) => {
    expect(parseLine(line)).toEqual(action);
  });

  it.each([
    ['/nope', /unknown command \/nope/],
    ['/', /unknown command/],
    ['/msg', /usage: \/msg <user> <text>/],
    ['/file', /usage: \/file <path>/],
    ['/accept ../x', /usage: \/accept \[id\]/],
    ['/decline a b', /usage: \/decline \[id\]/],
    ['/msg bob', /usage: \/msg/],
    ['/msg bob    ', /usage: \/msg/],
    ['/msg B@d hi', /not a valid username: B@d/],
    ['/open', /usage: \/open <user>/],
    ['/nick', /usage: \/nick <user> \[name\]/],
    ['/close a b', /usage: \/close/],
    ['/close a', /not a valid username: a/],
    ['/open a b', /usage: \/open/],
    ['/open x', /not a valid username: x/],
    ['/fingerprint a b', /usage/],
    ['/who is there', /usage: \/who/],
    ['/verify', /usage: \/verify <user> \[num\]/],
    ['/verify bob 12345', /a safety number is 60 digits/],
    ['/trust', /usage: \/trust <user>/],
    ['/admin', /usage: \/admin/],
    ['/admin explode', /usage: \/admin/],
    ['/admin kick', /usage: \/admin/],
    ['/admin users bob', /usage: \/admin/],
    ['/admin kick B@d', /not a valid username: B@d/],
    ['/reply', /usage: \/reply \[id\] <text>/],
    ['/edit 1a2b3c4d', /usage: \/edit <id> <text>/],
    ['/edit 1a2b hi', /usage: \/edit/],
    ['/delete', /usage: \/delete <id> \[--for-me\]/],
    ['/delete 1a2b3c4d 5e6f7a8b', /usage: \/delete/],
    ['/react xyz 👍', /usage: \/react/],
    ['/search', /usage: \/search <text>/],
    ['/block', /usage: \/block <user>/],
    ['/block B@d', /not a valid username: B@d/],
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
