/**
 * Publishing a finished download (§16.3) when another local user races it in a shared directory: every way the temp
 * file can be taken away at link(2) is DOWNLOAD_PATH_UNSAFE, never an internal error, and nothing is published.
 */
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { ChatError } from '../errors.js';
import { publish } from './download.js';

describe('publish (§16.3)', () => {
  let t: ReturnType<typeof tempDir>;
  let part: string;
  let fd: number;
  beforeEach(() => {
    t = tempDir('publish');
    part = join(t.dir, '.a.txt.00.part');
    writeFileSync(part, 'verified bytes', { mode: 0o600 });
    fd = openSync(part, 'r+');
  });
  afterEach(() => {
    closeSync(fd);
    t.cleanup();
  });

  const refusal = () => {
    try {
      publish(fd, part, t.dir, 'a.txt');
    } catch (err) {
      return err instanceof ChatError ? err.code : String(err);
    }
    return 'published';
  };

  it('publishes the file it verified under a fresh name', () => {
    expect(publish(fd, part, t.dir, 'a.txt')).toBe(join(t.dir, 'a.txt'));
    expect(readdirSync(t.dir)).toEqual(['a.txt']);
  });

  it('the temp file renamed away at link(2): DOWNLOAD_PATH_UNSAFE, nothing published', () => {
    renameSync(part, `${part}.x`);
    expect(refusal()).toBe('DOWNLOAD_PATH_UNSAFE');
    expect(readdirSync(t.dir)).toEqual(['.a.txt.00.part.x']);
  });

  it('another file in its place: DOWNLOAD_PATH_UNSAFE, nothing published', () => {
    renameSync(part, `${part}.x`);
    writeFileSync(part, 'EVIL');
    expect(refusal()).toBe('DOWNLOAD_PATH_UNSAFE');
    expect(readdirSync(t.dir).sort()).toEqual(['.a.txt.00.part', '.a.txt.00.part.x']);
  });

  it('a directory in its place: DOWNLOAD_PATH_UNSAFE', () => {
    rmSync(part);
    mkdirSync(part);
    expect(refusal()).toBe('DOWNLOAD_PATH_UNSAFE');
  });
});
