import { describe, expect, it } from 'vitest';
import { ChatError } from '../errors.js';
import { MAX_NICKNAME_CHARS, checkNickname, withNickname } from './nickname.js';

const codeOf = (name: string): string | undefined => {
  try {
    checkNickname(name);
    return undefined;
  } catch (e) {
    return e instanceof ChatError ? e.code : String(e);
  }
};

describe('checkNickname', () => {
  it('trims and keeps up to MAX_NICKNAME_CHARS code points, emoji and CJK included', () => {
    expect(checkNickname('  Al from ops ')).toBe('Al from ops');
    expect(checkNickname('🦊'.repeat(MAX_NICKNAME_CHARS))).toBe('🦊'.repeat(MAX_NICKNAME_CHARS));
    expect(checkNickname('王小明')).toBe('王小明');
  });

  it('refuses empty, too long, controls, bidi overrides, zero-width and line separators (USAGE)', () => {
    for (const bad of [
      '',
      '   ',
      'x'.repeat(MAX_NICKNAME_CHARS + 1),
      '\u001b[2Jadmin',
      'al\u202eice',
      'a\u200bb',
      'two\nlines',
      'a\u2028b',
    ])
      expect(codeOf(bad), JSON.stringify(bad)).toBe('USAGE');
  });
});

describe('withNickname', () => {
  it('puts the nickname beside the username, never instead of it', () => {
    expect(withNickname('alice', new Map([['alice', 'Al']]))).toBe('alice (Al)');
    expect(withNickname('bob', new Map([['alice', 'Al']]))).toBe('bob');
  });
});
