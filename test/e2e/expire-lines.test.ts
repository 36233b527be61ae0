/**
 * A 1:1 conversation's timer is announced in the conversation (issue 15, PROTOCOL.md §17.5), as a group's is: a line
 * of the history on both sides (`chat history`, text and JSON), which is not a message (no edit, no search hit).
 */
import { describe, expect, it } from 'vitest';
import { chat, e2eWorld, jsonLines } from './harness.js';

type Json = Record<string, unknown>;

describe('chat expire between two people', () => {
  const { home, run } = e2eWorld('e2e-expire-lines', ['alice', 'bob']);

  it('is a line of the history on both sides, not a message', async () => {
    await run('alice', ['send', 'bob', 'hello']);
    await run('alice', ['expire', 'bob', '1h']);
    await run('bob', ['recv']);
    for (const [user, peer] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      const text = (await run(user, ['history', peer])).stdout;
      expect(text).toMatch(
        /alice: hello {2}\[[0-9a-f]{8}\]\n\[[^\]]+\] (alice|bob) \* alice set disappearing messages to 1 h\n/,
      );
      const json = jsonLines<Json>((await run(user, ['history', peer, '--json'])).stdout);
      expect(json[1]).toMatchObject({ from: '*', event: true, body: 'alice set disappearing messages to 1 h' });
    }
    // bob turns it off: a line on both sides again.
    await run('bob', ['expire', 'alice', 'off']);
    await run('alice', ['recv']);
    expect((await run('alice', ['history', 'bob'])).stdout).toContain('* bob turned disappearing messages off');

    // Not a message: no edit, no search hit.
    const line = jsonLines<Json>((await run('alice', ['history', 'bob', '--json'])).stdout)[1]!;
    const edit = await chat(['edit', line.id as string, 'no'], { home: home.alice! });
    expect(edit.code).toBe(2);
    expect(edit.stderr).toContain('is not a message');
    expect((await run('alice', ['search', 'disappearing'])).stdout).toBe('');
    expect((await run('alice', ['search', 'disappearing', '--in', 'bob'])).stdout).toBe('');
  });
});
