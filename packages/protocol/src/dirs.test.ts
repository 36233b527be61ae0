/**
 * `makeDirs` (dirs.ts), the `mkdir -p` of the relay's data directory and the client's profile and downloads: Node 20's
 * recursive mkdirSync looped for ever at 100 % CPU for a path under /proc (`chat-relay --data /proc/nonexistent/x`);
 * this one fails at once.
 */
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/temp.js';
import { makeDirs } from './dirs.js';

const t = tempDir('make-dirs');
afterAll(() => t.cleanup());

describe('makeDirs', () => {
  it('creates every missing directory with the mode, and leaves existing ones as they are', () => {
    mkdirSync(join(t.dir, 'a'), { mode: 0o755 });
    makeDirs(join(t.dir, 'a', 'b', 'c'), 0o700);
    expect(statSync(join(t.dir, 'a')).mode & 0o777).toBe(0o755);
    expect(statSync(join(t.dir, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(statSync(join(t.dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirs(join(t.dir, 'a', 'b', 'c'), 0o700); // already there: nothing to do
  });

  it('fails with the error of the directory it cannot create: a file in the way, a parent under /proc', () => {
    writeFileSync(join(t.dir, 'file'), '');
    expect(() => makeDirs(join(t.dir, 'file', 'x'), 0o700)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    // Node 20's mkdirSync(…, { recursive: true }) never returns here; procfs refuses the new directory at once.
    expect(() => makeDirs('/proc/nonexistent/x', 0o700)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('a path that exists as a file, or as a link to one, is ENOTDIR, as mkdir -p says; a dangling link is ENOENT', () => {
    const file = join(t.dir, 'plain');
    writeFileSync(file, '');
    symlinkSync(file, join(t.dir, 'to-file'));
    symlinkSync(join(t.dir, 'nowhere'), join(t.dir, 'dangling'));
    for (const p of [file, join(t.dir, 'to-file')])
      expect(() => makeDirs(p, 0o700), p).toThrow(expect.objectContaining({ code: 'ENOTDIR', path: p }));
    expect(() => makeDirs(join(t.dir, 'dangling'), 0o700)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    // A link to a directory is followed, as mkdir -p does.
    mkdirSync(join(t.dir, 'real'));
    symlinkSync(join(t.dir, 'real'), join(t.dir, 'to-dir'));
    makeDirs(join(t.dir, 'to-dir', 'inside'), 0o700);
    expect(statSync(join(t.dir, 'real', 'inside')).isDirectory()).toBe(true);
  });
});
