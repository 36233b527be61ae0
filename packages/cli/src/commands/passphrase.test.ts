import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChatError } from '../engine/errors.js';
import type { Io } from './io.js';
import { BACKUP_PASSPHRASE, KEY_PASSPHRASE, NEW_PASSPHRASE, canPrompt, readPassphrase } from './passphrase.js';

/** A terminal stand-in: a stream with isTTY and setRawMode that records raw mode. */
function tty(keys: string[]): { io: Io; err: () => string; raw: boolean[] } {
  const input = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode: (r: boolean) => void };
  const raw: boolean[] = [];
  input.isTTY = true;
  input.setRawMode = (r) => void raw.push(r);
  let err = '';
  const io: Io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, stdin: input, env: {} };
  // Type one key sequence per prompt, after the prompt is shown.
  let i = 0;
  const orig = io.stderr.write;
  io.stderr.write = (s: string) => {
    orig(s);
    if (s.endsWith(': ') && i < keys.length) setImmediate(() => input.write(keys[i++] ?? ''));
    return true;
  };
  return { io, err: () => err, raw };
}

describe('readPassphrase', () => {
  it('prefers CHAT_PASSPHRASE, refuses an empty one, and returns undefined without any source', async () => {
    const base: Io = {
      stdout: { write: () => true },
      stderr: { write: () => true },
      stdin: new PassThrough(),
      env: {},
    };
    expect(canPrompt(base)).toBe(false);
    expect(await readPassphrase({ ...base, env: { CHAT_PASSPHRASE: 's3cret' } }, KEY_PASSPHRASE, 'p')).toBe('s3cret');
    await expect(readPassphrase({ ...base, env: { CHAT_PASSPHRASE: '' } }, KEY_PASSPHRASE, 'p')).rejects.toBeInstanceOf(
      ChatError,
    );
    // The way out of an empty one depends on what it is for: only a new passphrase may be none (hunt1).
    await expect(readPassphrase({ ...base, env: { CHAT_PASSPHRASE: '' } }, KEY_PASSPHRASE, 'p')).rejects.toMatchObject({
      hint: expect.stringContaining('sealed with') as string,
    });
    await expect(
      readPassphrase({ ...base, env: { CHAT_NEW_PASSPHRASE: '' } }, NEW_PASSPHRASE, 'p'),
    ).rejects.toMatchObject({ hint: expect.stringContaining('--no-passphrase') as string });
    // keygen and a restore read the keys' new passphrase from CHAT_PASSPHRASE, asking twice (`confirm`).
    await expect(
      readPassphrase({ ...base, env: { CHAT_PASSPHRASE: '' } }, KEY_PASSPHRASE, 'p', { confirm: true }),
    ).rejects.toMatchObject({ hint: expect.stringContaining('--no-passphrase') as string });
    await expect(
      readPassphrase({ ...base, env: { CHAT_BACKUP_PASSPHRASE: '' } }, BACKUP_PASSPHRASE, 'p', { confirm: true }),
    ).rejects.toMatchObject({ hint: 'a backup needs a passphrase of its own' });
    await expect(
      readPassphrase({ ...base, env: { CHAT_BACKUP_PASSPHRASE: '' } }, BACKUP_PASSPHRASE, 'p'),
    ).rejects.toMatchObject({ hint: expect.stringContaining('exported with') as string });
    expect(await readPassphrase(base, KEY_PASSPHRASE, 'p')).toBeUndefined();
    await expect(
      readPassphrase({ ...base, env: { CHAT_PASSPHRASE_FILE: '/nonexistent/x' } }, KEY_PASSPHRASE, 'p'),
    ).rejects.toMatchObject({ code: 'FILE_UNREADABLE', exitCode: 1 }); // a local file, as PROTOCOL.md §12 says
  });

  it('prompts on a terminal in raw mode without echo, handles backspace, and confirms', async () => {
    const t = tty(['hunter22\u007f2\r', 'hunter22\r']);
    expect(await readPassphrase(t.io, KEY_PASSPHRASE, 'new passphrase', { confirm: true })).toBe('hunter22');
    expect(t.err()).toBe('new passphrase: \nagain, to confirm: \n');
    expect(t.raw).toEqual([true, false, true, false]);
  });

  it('two different entries are a usage error; Ctrl-C cancels', async () => {
    await expect(
      readPassphrase(tty(['one\r', 'two\r']).io, KEY_PASSPHRASE, 'p', { confirm: true }),
    ).rejects.toMatchObject({ exitCode: 2 });
    await expect(readPassphrase(tty(['ab\u0003']).io, KEY_PASSPHRASE, 'p')).rejects.toMatchObject({
      message: 'cancelled',
    });
  });

  it('stdin a pipe: prompts on the controlling terminal (io.openTerminal), closes it; none there: undefined', async () => {
    const t = tty(['from the tty\r']);
    let stderr = '';
    let closed = 0;
    const io: Io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      stdin: new PassThrough(),
      env: {},
      openTerminal: async () => ({ input: t.io.stdin, output: t.io.stderr, close: () => void closed++ }),
    };
    expect(await readPassphrase(io, KEY_PASSPHRASE, 'p')).toBe('from the tty');
    expect(t.err()).toBe('p: \n');
    expect(stderr).toBe(''); // the prompt went to the terminal, not to a stderr that may be a log
    expect(t.raw).toEqual([true, false]);
    expect(closed).toBe(1);
    expect(await readPassphrase({ ...io, openTerminal: async () => undefined }, KEY_PASSPHRASE, 'p')).toBeUndefined();
  });
});
