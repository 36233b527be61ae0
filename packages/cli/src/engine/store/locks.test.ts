/** The profile's locks between processes (locks.ts): SQLite's EXCLUSIVE lock on a file of their own. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { tryLock } from './locks.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('locks');
});
afterEach(() => t.cleanup());

it('one holder at a time, also between two connections of one process; released, it can be taken again', () => {
  const path = join(t.dir, 'locks', 'a.lock');
  const first = tryLock(path);
  expect(first).toBeDefined();
  expect(tryLock(path)).toBeUndefined();
  expect(tryLock(path)).toBeUndefined(); // a refused attempt leaves nothing open that would hold it
  first!.release();
  first!.release(); // idempotent
  const second = tryLock(path);
  expect(second).toBeDefined();
  second!.release();
});

it('locks of other files are independent', () => {
  const a = tryLock(join(t.dir, 'locks', 'a.lock'));
  const b = tryLock(join(t.dir, 'locks', 'b.lock'));
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  a!.release();
  b!.release();
});

it('its file and directory are private; release(true) deletes the file while still held', () => {
  const path = join(t.dir, 'locks', 'c.lock');
  const lock = tryLock(path)!;
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(statSync(join(t.dir, 'locks')).mode & 0o777).toBe(0o700);
  lock.release(true);
  expect(existsSync(path)).toBe(false);
  lock.release(true);
  const again = tryLock(path);
  expect(again).toBeDefined();
  again!.release();
});

it('a damaged lock file (not a database) is replaced, and the lock taken', () => {
  const path = join(t.dir, 'd.lock');
  writeFileSync(path, 'not a database, but longer than SQLite needs to see its header is wrong '.repeat(10), {
    mode: 0o600,
  });
  const lock = tryLock(path);
  expect(lock).toBeDefined();
  expect(readFileSync(path).length).toBe(0);
  expect(tryLock(path)).toBeUndefined();
  lock!.release();
});
