/**
 * `makeDirs` (dirs.ts), the `mkdir -p` of the relay's data directory and the client's profile and downloads: Node 20's
 * recursive mkdirSync looped for ever at 100 % CPU for a path under /proc (`chat-relay --data /proc/nonexistent/x`);
 * this one fails at once.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
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
});
