/** Naming what holds the receiving session (receiving-marker.ts): the marker a receiving process leaves in its profile. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../../../../test/fixtures/temp.js';
import { ChatError } from './errors.js';
import { MARKER_FILE, describeThisProcess, markReceiving, nameTheHolder, unmarkReceiving } from './receiving-marker.js';

const refused = () => new ChatError('ALREADY_RECEIVING', 'another session is already receiving for bob');

describe('the receiving marker', () => {
  let t: TempDir;
  beforeEach(() => {
    t = tempDir('marker');
  });
  afterEach(() => t.cleanup());

  it('describes the process from its command line', () => {
    expect(describeThisProcess([])).toBe('the interactive session');
    expect(describeThisProcess(['open', 'bob'])).toBe('the interactive session');
    expect(describeThisProcess(['recv', '--follow'])).toBe('chat recv --follow');
    expect(describeThisProcess(['--json', 'recv'])).toBe('chat recv');
    expect(describeThisProcess(['daemon'])).toBe('the chat daemon');
  });

  it('names a live holder of this profile, says when none is here, and leaves other errors alone', () => {
    // Another live process (our parent) holds it.
    writeFileSync(
      join(t.dir, MARKER_FILE),
      JSON.stringify({ pid: process.ppid, holder: 'the interactive session', since: 1 }),
    );
    const named = nameTheHolder(refused(), t.dir, 'bob') as ChatError;
    expect(named.code).toBe('ALREADY_RECEIVING');
    expect(named.message).toBe(
      `the interactive session (pid ${process.ppid}) is already receiving for bob (ALREADY_RECEIVING)`,
    );
    expect(named.hint).toContain('quit it first');
    // A marker left by a process that is gone (a crash) names nobody.
    writeFileSync(join(t.dir, MARKER_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, holder: 'x', since: 1 }));
    expect((nameTheHolder(refused(), t.dir, 'bob') as ChatError).message).toContain(
      'not one of this profile on this machine',
    );
    const other = new ChatError('KEY_MISMATCH', 'no');
    expect(nameTheHolder(other, t.dir, 'bob')).toBe(other);
  });

  it('is written while receiving and removed after, only by its own process', () => {
    markReceiving(t.dir, 'chat recv');
    expect((nameTheHolder(refused(), t.dir, 'bob') as ChatError).message).toContain(
      'an earlier session of this process',
    );
    unmarkReceiving(t.dir);
    writeFileSync(join(t.dir, MARKER_FILE), JSON.stringify({ pid: process.ppid, holder: 'chat recv', since: 1 }));
    unmarkReceiving(t.dir); // not ours: kept
    expect((nameTheHolder(refused(), t.dir, 'bob') as ChatError).message).toContain(`pid ${process.ppid}`);
  });
});
