/**
 * Interactive sessions attached to `chat daemon` (issue 16): the built `chat` in two real terminals (tmux) and a
 * `chat recv --follow`, all on bob's one profile while his daemon holds the relay session. Each front end sees
 * alice's message exactly once, nothing asks for bob's passphrase, a line sent from one session reaches alice and
 * shows in the other, and stopping the daemon tells each session so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceAndBob, chat, jsonLines, startChat, type Running } from './harness.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';
import { Tmux } from './tmux.js';

const count = (text: string, what: string): number => text.split(what).length - 1;

describe('interactive sessions attached to the daemon (tmux)', () => {
  let t: TempDir;
  let relay: TestRelay;
  let alice: string;
  let bob: string;
  let daemon: Running | undefined;
  let follow: Running | undefined;
  const tmux = new Tmux();

  beforeAll(async () => {
    Tmux.check();
    ({ t, relay, alice, bob } = await aliceAndBob('tui-daemon'));
  });
  afterAll(async () => {
    tmux.kill();
    for (const p of [follow, daemon]) if (p && p.proc.exitCode === null) p.proc.kill('SIGTERM');
    await follow?.exit;
    await daemon?.exit;
    await relay.stop();
    t.cleanup();
  });

  it('two sessions and recv --follow each see a message once; a session sends; the daemon stopping is shown', async () => {
    expect((await chat(['send', 'bob', 'first, to pin each other'], { home: alice })).code).toBe(0);
    daemon = startChat(['daemon', '--json'], { home: bob });
    await daemon.waitFor(/"event":"connection","state":"online"/);

    // No CHAT_PASSPHRASE in the windows (askPassphrase): a session that tried to unlock the keys would prompt.
    tmux.start('one', bob, ['open', 'alice'], { askPassphrase: true });
    tmux.start('two', bob, ['open', 'alice'], { askPassphrase: true });
    follow = startChat(['recv', '--follow'], { home: bob, env: { CHAT_PASSPHRASE: undefined } });
    for (const w of ['one', 'two']) {
      await tmux.waitFor(w, /attached to chat daemon/);
      await tmux.waitFor(w, /^ online .*bob@/m);
      expect(tmux.capture(w)).not.toMatch(/passphrase/i);
    }
    // Three subscribers: both sessions and recv --follow.
    await daemon.waitFor(/"event":"subscribers","count":3/);

    expect((await chat(['send', 'bob', 'hello all three of you'], { home: alice })).code).toBe(0);
    for (const w of ['one', 'two']) {
      const screen = await tmux.waitFor(w, /alice: hello all three of you/);
      expect(count(screen, 'hello all three of you')).toBe(1);
    }
    await follow.waitFor(/hello all three of you/);
    expect(count(follow.stdout(), 'hello all three of you')).toBe(1);

    // A line typed in session one goes out through the daemon, reaches alice, and shows in session two.
    tmux.type('one', 'answered from session one');
    tmux.keys('one', 'Enter');
    await tmux.waitFor('two', /bob: answered from session one/);
    const got = jsonLines<{ type: string; body?: string }>((await chat(['recv', '--json'], { home: alice })).stdout);
    expect(got.filter((m) => m.type === 'message').map((m) => m.body)).toEqual(['answered from session one']);
    // alice's recv saw bob read her message: session one had the conversation open (read receipts via the daemon).
    expect(got).toContainEqual(expect.objectContaining({ type: 'receipt', state: 'read' }));

    // The daemon stops: each session says so instead of pretending to be connected; recv --follow exits.
    daemon.proc.kill('SIGTERM');
    expect((await daemon.exit).code).toBe(0);
    for (const w of ['one', 'two']) await tmux.waitFor(w, /the chat daemon stopped/);
    const followed = await follow.exit;
    expect(followed.stderr).toContain('DAEMON_LOST');
    tmux.type('one', 'too late');
    tmux.keys('one', 'Enter');
    await tmux.waitFor('one', /the chat daemon closed the connection before answering/);
  });
});
