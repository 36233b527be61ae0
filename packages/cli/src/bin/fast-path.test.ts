/** The fast path must mean exactly what yargs means: same action, same arguments, for every shape it accepts. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseWithYargs } from './cli.js';
import { fastCommand, type FastCommand } from './fast-path.js';
import type { Actions } from './run.js';

/** What the yargs definition calls for `args`, with the commands replaced by a recorder. */
async function viaYargs(args: string[]): Promise<FastCommand[]> {
  const calls: FastCommand[] = [];
  const actions: Actions = {
    send: async (a) => void calls.push({ command: 'send', args: a }),
    recv: async (a) => void calls.push({ command: 'recv', args: a }),
    history: async (a) => void calls.push({ command: 'history', args: a }),
    search: async (a) => void calls.push({ command: 'search', args: a }),
    contacts: async (a) => void calls.push({ command: 'contacts', args: a }),
    whoami: async (a) => void calls.push({ command: 'whoami', args: a }),
  };
  await parseWithYargs(args, actions);
  return calls;
}

const ACCEPTED: string[][] = [
  ['send', 'bob', 'hi'],
  ['send', 'bob', 'hello', 'world'],
  ['send', 'bob'],
  ['send', 'Bob', '5'],
  ['send', '42', 'hi'],
  ['send', 'bob', '1e3', '0x10', '007', 'NaN', '+1'],
  ['send', 'bob', 'true', 'false', 'null', 'undefined'],
  ['send', 'bob', 'a=b', 'x.y', 'k=v=w', '*', '$0'],
  ['send', '#team', 'hi all'],
  ['send', 'bob', 'héllo 🙂', 'two\nlines', '  spaced  ', 'tab\there'],
  ['send', '--json', 'bob', 'hi'],
  ['send', 'bob', '--json', 'hi'],
  ['send', 'bob', 'hi', '--json'],
  ['send', 'bob', '--json'],
  ['send', 'bob', '-'],
  ['send', '--json', 'bob', '-'],
  ['send', 'bob', '-', '--json'],
  ['send', 'bob', '--json', '-'],
  ['recv'],
  ['recv', '--json'],
  ['recv', '-f'],
  ['recv', '--follow'],
  ['recv', '--follow', '--json'],
  ['recv', '--json', '-f'],
  ['history', 'bob'],
  ['history', '#team'],
  ['history', 'group:1a2b3c4d'],
  ['history', '42'],
  ['history', 'bob', '--limit', '50'],
  ['history', '--limit', '0', 'bob'],
  ['history', 'bob', '--limit', '123456789'],
  ['history', 'bob', '--before', '1f2e3d4c'],
  ['history', 'bob', '--before', '12345678'],
  ['history', 'bob', '--before', '1e3'],
  ['history', 'bob', '--json', '--limit', '20', '--before', 'abcdef01'],
  ['history', '--json', 'bob'],
  ['search', 'deploy'],
  ['search', 'build', 'failed'],
  ['search', '42', '1e3', '0x10', 'true', 'null'],
  ['search', 'héllo 🙂', 'two\nlines', '%', '_', '*'],
  ['search', '--in', '#team', 'build', 'failed'],
  ['search', 'build', '--in', 'bob', 'failed'],
  ['search', 'x', '--in', '123'],
  ['search', 'x', '--limit', '7', '--json'],
  ['search', '--json', 'x'],
  ['contacts'],
  ['contacts', '--json'],
  ['whoami'],
  ['whoami', '--json'],
];

const LEFT_TO_YARGS: string[][] = [
  [],
  ['--help'],
  ['--version'],
  ['send'],
  ['send', '--help'],
  ['send', 'bob', '--help'],
  ['send', 'bob', '-h'],
  ['send', '-', 'hi'],
  ['send', 'bob', '-', '-'],
  ['send', 'bob', 'hi', '-'],
  ['send', '-'],
  ['send', 'bob', 'a', '-', 'b'],
  ['send', '', 'hi'],
  ['send', 'bob', ''],
  ['send', 'bob', '--', '-5', 'degrees'],
  ['send', 'bob', '-5'],
  ['send', 'bob', '--no-json', 'hi'],
  ['send', 'bob', '--json', '--json', 'hi'],
  ['send', 'bob', 'hi', '--passphrase-file', '/tmp/p'],
  ['send', 'bob', 'hi', '--trust-new-identities', 'always'],
  ['recv', '--follow', '-f'],
  ['recv', '--json', '--json'],
  ['recv', '--json=false'],
  ['recv', 'extra'],
  ['recv', '--help'],
  ['recv', '-fj'],
  ['Send', 'bob', 'hi'],
  ['send-file', 'bob', 'x'],
  ['history'],
  ['history', 'bob', 'carol'],
  ['history', 'bob', '--limit'],
  ['history', 'bob', '--limit', '-5'],
  ['history', 'bob', '--limit', '007'],
  ['history', 'bob', '--limit', '1e3'],
  ['history', 'bob', '--limit', '0x10'],
  ['history', 'bob', '--limit', 'many'],
  ['history', 'bob', '--limit', '1234567890'],
  ['history', 'bob', '--limit=5'],
  ['history', 'bob', '--limit', '5', '--limit', '6'],
  ['history', 'bob', '--before', ''],
  ['history', 'bob', '--before', '--json'],
  ['history', 'bob', '--in', 'carol'],
  ['history', 'bob', '--help'],
  ['history', 'bob', '--passphrase-file', '/tmp/p'],
  ['search'],
  ['search', '--json'],
  ['search', 'x', '--in'],
  ['search', 'x', '--in', 'a', '--in', 'b'],
  ['search', 'x', '--before', 'ab'],
  ['search', '--', '-x'],
  ['search', 'x', '-'],
  ['contacts', 'bob'],
  ['contacts', '--json', '--json'],
  ['contacts', '-h'],
  ['whoami', 'x'],
  ['whoami', '--trust-new-identities', 'always'],
];

describe('fastCommand', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(ACCEPTED.map((a) => [a]))('%j: the same action and arguments as yargs', async (args) => {
    const fast = fastCommand(args);
    expect(fast).toBeDefined();
    expect(await viaYargs(args)).toEqual([fast]);
  });

  it.each(LEFT_TO_YARGS.map((a) => [a]))('%j: left to yargs', (args) => {
    expect(fastCommand(args)).toBeUndefined();
  });

  it('a usage error from yargs is one the fast path left alone', async () => {
    // The same shape with a stray option: yargs refuses it (strict), and the fast path did not take it.
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(fastCommand(['recv', '--jsn'])).toBeUndefined();
    await expect(viaYargs(['recv', '--jsn'])).rejects.toThrow('exit 2');
    expect(exit).toHaveBeenCalledWith(2);
    expect(String(stderr.mock.calls[0]?.[0])).toContain('chat: error: Unknown argument: jsn');
  });
});
