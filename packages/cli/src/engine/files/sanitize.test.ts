import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../../../test/fixtures/temp.js';
import { sanitizeFileName, uniquePath } from './sanitize.js';

describe('sanitizeFileName (§16.3)', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system.ini', 'system.ini'],
    ['/absolute/path.txt', 'path.txt'],
    ['..', 'file'],
    ['', 'file'],
    ['.bashrc', 'bashrc'],
    ['evil\u001b[31mred\u0007.txt', 'evil_[31mred_.txt'],
    ['a\u202eexe.txt', 'a_exe.txt'],
    ['c:boot.ini', 'c_boot.ini'],
    ['report.pdf. . ', 'report.pdf'],
    ['naïve résumé.pdf', 'naïve résumé.pdf'],
    // Cut by UTF-8 bytes (NAME_MAX counts bytes), whole characters, the extension kept.
    [`${'文'.repeat(120)}.txt`, `${'文'.repeat(65)}.txt`],
    ['a'.repeat(300), 'a'.repeat(200)],
  ])('%j → %j', (input, out) => {
    expect(sanitizeFileName(input)).toBe(out);
  });
});

describe('uniquePath', () => {
  it('adds a suffix before the extension instead of overwriting', () => {
    const tmp = tempDir('uniq');
    const dir = tmp.dir;
    try {
      expect(uniquePath(dir, 'a.txt')).toBe(join(dir, 'a.txt'));
      writeFileSync(join(dir, 'a.txt'), 'x');
      expect(uniquePath(dir, 'a.txt')).toBe(join(dir, 'a (1).txt'));
      writeFileSync(join(dir, 'a (1).txt'), 'x');
      expect(uniquePath(dir, 'a.txt')).toBe(join(dir, 'a (2).txt'));
      writeFileSync(join(dir, 'noext'), 'x');
      expect(uniquePath(dir, 'noext')).toBe(join(dir, 'noext (1)'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
