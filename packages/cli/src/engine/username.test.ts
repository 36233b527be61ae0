import { describe, expect, it } from 'vitest';
import { ChatError } from './errors.js';
import { normalizeUsername } from './username.js';

describe('normalizeUsername (§3.1)', () => {
  it('lower-cases and trims', () => {
    expect(normalizeUsername('Alice')).toBe('alice');
    expect(normalizeUsername(' BOB_1 ')).toBe('bob_1');
  });

  it.each(['ab', '1abc', 'a'.repeat(33), 'al ice', 'alïce', '-abc', ''])('refuses %j with exit code 2', (name) => {
    expect(() => normalizeUsername(name)).toThrow(ChatError);
    try {
      normalizeUsername(name);
    } catch (e) {
      expect((e as ChatError).code).toBe('BAD_USERNAME');
      expect((e as ChatError).exitCode).toBe(2);
    }
  });
});
