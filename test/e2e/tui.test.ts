/**
 * The interactive session end to end: the built `chat` in a real terminal (tmux, 80×24) against a relay in the test
 * process. Two users exchange messages, see each other typing, list each other with /who, paste a multi-line block that
 * arrives as one message, and a message sent while the peer was away arrives when the peer comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { Tmux } from './tmux.js';

describe('chat in a terminal (tmux)', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  const tmux = new Tmux();

  beforeAll(async () => {
    Tmux.check();
    t = tempDir('tui');
    relay = await relayInProcess(`${t.dir}/relay`);
  });
  afterAll(async () => {
    tmux.kill();
    await relay.stop();
    t.cleanup();
  });

  it('two users chat: typing indicator, /who, a multi-line paste, a message sent while the peer was away', async () => {
    const alice = await newUser(t.dir, 'alice', relay, { sealed: true }); // sealed keys: she types her passphrase below
    const bob = await newUser(t.dir, 'bob', relay);
    // alice types her passphrase at chat's hidden prompt, as a person would; bob's comes from CHAT_PASSPHRASE.
    // alice's shell exports CI=true, as CI machines do: Ink alone would then draw nothing until exit (a blank screen).
    tmux.start('alice', alice, ['open', 'bob'], { askPassphrase: true, env: { CI: 'true' } });
    tmux.start('bob', bob, ['open', 'alice']);
    await tmux.waitFor('alice', /passphrase for .*alice:/);
    tmux.type('alice', TEST_PASSPHRASE);
    expect(tmux.capture('alice')).not.toContain(TEST_PASSPHRASE); // not echoed
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('alice', /^ online .*alice@/m);
    await tmux.waitFor('bob', /^ online .*bob@/m);
    expect(tmux.capture('alice')).not.toContain(TEST_PASSPHRASE);

    // Typing shows on the other side, then the message (and alice sees it read: bob has the conversation open).
    tmux.type('alice', 'hello bob, lunch at noon? :pizza:');
    await tmux.waitFor('bob', /alice is typing…/);
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('bob', /alice: hello bob, lunch at noon\? 🍕/);
    await tmux.waitFor('alice', /alice: hello bob, lunch at noon\? 🍕 ✓✓ read/);
    // The indicator goes away with the message.
    expect(tmux.capture('bob')).not.toMatch(/alice is typing…/);

    // /who lists both.
    tmux.type('bob', '/who');
    tmux.keys('bob', 'Enter');
    await tmux.waitFor('bob', /online now: alice, bob/);

    // A multi-line paste is one message.
    tmux.paste('bob', 'sure, three things:\n1. the usual place\n2. at 12:05');
    await tmux.waitFor('bob', /alice> sure, three things:\n\s+1\. the usual place\n\s+2\. at 12:05/);
    tmux.keys('bob', 'Enter');
    // One message: one "HH:MM bob:" prefix, the other lines are its indented continuation.
    const screen = await tmux.waitFor(
      'alice',
      /\d\d:\d\d bob: sure, three things:\n *│? +1\. the usual place\n *│? +2\. at 12:05/,
    );
    expect(screen.match(/bob:/g)).toHaveLength(1);

    // Bob leaves; alice writes; the message waits on the relay and reaches bob when he is back.
    tmux.type('bob', '/quit');
    tmux.keys('bob', 'Enter');
    await tmux.waitFor('bob', /\[chat exited 0\]/);
    tmux.type('alice', '/who');
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('alice', /online now: alice$/m); // bob is gone
    tmux.type('alice', 'see you there');
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('alice', /alice: see you there ✓ \[[0-9a-f]{8}\]$/m); // the short id ends the row
    tmux.keys('bob', 'C-c');
    tmux.start('bob2', bob, ['open', 'alice']);
    await tmux.waitFor('bob2', /alice: see you there/);
    await tmux.waitFor('alice', /alice: see you there ✓✓ read/);

    // It survives resizes, down to a narrow terminal and back to 80×24.
    tmux.resize('alice', 50, 16);
    await tmux.waitFor('alice', /^ online /m);
    tmux.resize('alice', 80, 24);
    await tmux.waitFor('alice', /^ online .*alice@/m);
    tmux.type('alice', '/quit');
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('alice', /\[chat exited 0\]/);
  });
});
