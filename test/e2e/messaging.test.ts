/** keygen → login → send → recv between two profiles, through the built `chat` (the relay in the test process). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceAndBob, chat, jsonLines } from './harness.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';

const LINE = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] alice: (.*)$/;

describe('chat between alice and bob', () => {
  let t: TempDir;
  let relay: TestRelay;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    ({ t, relay, alice, bob } = await aliceAndBob('messaging'));
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('sends with words and with stdin "-", receives plain then nothing, and pins the right keys', async () => {
    const s1 = await chat(['send', 'bob', 'hello', 'bob'], { home: alice });
    expect(s1).toMatchObject({ code: 0, stderr: '' });
    expect(s1.stdout).toMatch(/^sent to bob \(id [0-9a-f]{32}\)\n$/);

    const s2 = await chat(['send', '--json', 'BOB', '-'], { home: alice, stdin: 'from stdin\nsecond line\n' });
    expect(s2).toMatchObject({ code: 0, stderr: '' });
    const [sent] = jsonLines<{ id: string; to: string; ts: number }>(s2.stdout);
    expect(sent).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/) as string,
      to: 'bob',
      ts: expect.any(Number) as number,
    });

    const r = await chat(['recv'], { home: bob });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(LINE);
    expect(LINE.exec(lines[0] ?? '')?.[2]).toBe('hello bob');
    // TZ=UTC in the harness: the shown time is bob's receive time (§4, "Order of the history"): between the send and now.
    const stamp = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] alice: from stdin$/.exec(lines[1] ?? '');
    expect(stamp).not.toBeNull();
    const shownAt = Date.parse(`${stamp![1]!.replace(' ', 'T')}Z`);
    expect(shownAt).toBeGreaterThanOrEqual(Math.floor((sent?.ts ?? 0) / 1000) * 1000);
    expect(shownAt).toBeLessThanOrEqual(Date.now());
    expect(lines[2]).toBe('  | second line'); // a continuation line is marked: it cannot pass for a message
    expect(lines.length).toBe(4); // trailing ''

    const again = await chat(['recv'], { home: bob });
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });

    const who = jsonLines<{ fingerprint: string; username: string; relay: string }>(
      (await chat(['whoami', '--json'], { home: alice })).stdout,
    )[0];
    expect(who).toMatchObject({ username: 'alice', relay: relay.address });
    const contacts = jsonLines<{ username: string; fingerprint: string }>(
      (await chat(['contacts', '--json'], { home: bob })).stdout,
    );
    expect(contacts).toEqual([
      {
        username: 'alice',
        fingerprint: who?.fingerprint,
        trust: 'unverified',
        firstSeen: expect.any(Number) as number,
        verifiedAt: null,
        pendingFingerprint: null,
        blocked: false,
      },
    ]);
    const plain = await chat(['contacts'], { home: alice });
    expect(plain.stdout).toMatch(/^bob {2}([0-9A-F]{4} ){7}[0-9A-F]{4} {2}unverified {2}first seen \d{4}-/);
  });

  it('recv --json prints one object per message with id, from, to, body, ts', async () => {
    const ids: string[] = [];
    for (const body of ['one', 'two "quoted" \u{1F600}', 'three\u2028lines\u2029in\u0085one']) {
      const s = await chat(['send', '--json', 'bob', body], { home: alice });
      expect(s.code).toBe(0);
      ids.push(jsonLines<{ id: string }>(s.stdout)[0]?.id ?? '');
    }
    const r = await chat(['recv', '--json'], { home: bob });
    expect(r.code).toBe(0);
    const msgs = jsonLines(r.stdout);
    expect(msgs.map((m) => m.id)).toEqual(ids);
    expect(msgs[1]).toMatchObject({ from: 'alice', to: 'bob', body: 'two "quoted" \u{1F600}' });
    expect(typeof msgs[0]?.ts).toBe('number');
    // Escaped, so a splitter that takes U+0085, U+2028 and U+2029 for line ends (Python's) still sees one per line.
    expect(msgs[2]?.body).toBe('three\u2028lines\u2029in\u0085one');
    expect(r.stdout).not.toMatch(/[\u0085\u2028\u2029]/);
    expect(r.stdout).toContain('three\\u2028lines\\u2029in\\u0085one');
  });

  it('prints message bodies safely: terminal escapes in a body do not reach the terminal', async () => {
    expect((await chat(['send', 'bob', 'evil\x1b]0;pwned\x07\x1b[2J'], { home: alice })).code).toBe(0);
    const r = await chat(['recv'], { home: bob });
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J');
  });

  it('send to an unknown user exits 3 and says so', async () => {
    const r = await chat(['send', 'carol', 'hi'], { home: alice });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^chat: error: unknown user carol/m);
    expect(r.stderr).toMatch(/^chat: hint: /m);
  });

  it('usage errors exit 2 with a chat: error line', async () => {
    for (const args of [
      ['send', 'Not A Name', 'hi'],
      ['send', 'bob'],
      ['login', 'x'],
      ['frobnicate'],
      ['recv', '--bogus'],
      ['send', 'bob', 'x'.repeat(60_001)],
    ]) {
      const r = await chat(args, { home: alice });
      expect(r.code, args.join(' ').slice(0, 40)).toBe(2);
      expect(r.stderr).toMatch(/^chat: error: /);
    }
  });
});
