/**
 * Held messages in the interactive session (issue 15: "after /trust, the held messages appear at once, in order,
 * without a reconnect"), when the trust comes from `chat trust` in another terminal: that process only writes chat.db,
 * and the session (the built `chat` in tmux, against a relay in the test process) must notice and show what it holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceAndBob, chat, newUser } from './harness.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';
import { Tmux } from './tmux.js';

describe('held messages released by chat trust in another terminal (tmux)', () => {
  let t: TempDir;
  let relay: TestRelay;
  let alice: string;
  let bob: string;
  let carol: string;
  const tmux = new Tmux();

  beforeAll(async () => {
    Tmux.check();
    ({ t, relay, alice, bob } = await aliceAndBob('tui-held'));
    carol = await newUser(t.dir, 'carol', relay);
  });
  afterAll(async () => {
    tmux.kill();
    await relay.stop();
    t.cleanup();
  });

  it('bob is held (never trust new identities); chat trust bob elsewhere shows his messages at once, in order', async () => {
    const send = async (home: string, to: string, text: string) =>
      expect((await chat(['send', to, text], { home })).code).toBe(0);
    // carol is a contact already; bob is new, and alice's session trusts no new identity on its own.
    await send(alice, 'carol', 'hi carol');
    tmux.start('alice', alice, ['open', 'carol'], { columns: 100, env: { CHAT_TRUST_NEW_IDENTITIES: 'never' } });
    await tmux.waitFor('alice', /^ online .*alice@/m);
    for (const text of ['first from bob', 'second from bob', 'third from bob']) await send(bob, 'alice', text);
    // Stored after bob's three: once carol's line shows, the session has checked (and held) bob's.
    await send(carol, 'alice', 'carol was here');
    await tmux.waitFor('alice', /carol: carol was here/);
    expect(tmux.capture('alice')).not.toMatch(/from bob/);

    // Another terminal: no daemon, so this is a process of its own that only commits to chat.db.
    const trusted = await chat(['trust', 'bob'], { home: alice });
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toMatch(/^messages held under it are shown now by the interactive session \(pid \d+\)$/m);
    tmux.type('alice', '/open bob');
    tmux.keys('alice', 'Enter');
    const screen = await tmux.waitFor('alice', /first from bob[\s\S]*second from bob[\s\S]*third from bob/);
    expect(screen).toMatch(/^ online /m); // the same connection all along
  });
});
