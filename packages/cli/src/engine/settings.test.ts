import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { DEFAULT_SETTINGS, loadSettings, parseSettings } from './settings.js';

describe('settings.json', () => {
  it('defaults when absent; read receipts are on by default', () => {
    const t = tempDir('settings');
    try {
      expect(loadSettings(t.dir)).toEqual(DEFAULT_SETTINGS);
      expect(DEFAULT_SETTINGS.readReceipts).toBe(true);
      writeFileSync(join(t.dir, 'settings.json'), '{"readReceipts": false, "bell": false}');
      expect(loadSettings(t.dir)).toEqual({ ...DEFAULT_SETTINGS, readReceipts: false, bell: false });
    } finally {
      t.cleanup();
    }
  });

  it('refuses an unknown key, naming it and the known keys (a typo is not a silent default)', () => {
    let caught: unknown;
    try {
      parseSettings('{"bell": false, "readReciepts": false}', 'settings.json');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'PROFILE_CORRUPT' });
    const { message, hint } = caught as { message: string; hint?: string };
    expect(message).toContain('"readReciepts"');
    for (const key of Object.keys(DEFAULT_SETTINGS)) expect(hint).toContain(key);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['a string for a flag', '{"readReceipts": "no"}'],
    ['null for a flag', '{"bell": null}'],
  ])('%s is PROFILE_CORRUPT', (_, text) => {
    expect(() => parseSettings(text, 'settings.json')).toThrow(expect.objectContaining({ code: 'PROFILE_CORRUPT' }));
  });
});
