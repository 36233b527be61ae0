/**
 * Edits and reactions in the interactive session end to end (issue 15, PROTOCOL.md §17): the built `chat` in a real
 * terminal (tmux, 80×24) against a relay in the test process. Alice edits her last message with Up on an empty line;
 * bob sees it marked `(edited)` and reacts with the short id the pane shows; alice sees the reaction under her message.
 * Then alice turns on disappearing messages: a message leaves both screens and both databases on its own.
 */
import { openProfileDb } from '../helpers/profile-db.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { Tmux } from './tmux.js';

describe('edits and reactions in a terminal (tmux)', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  const tmux = new Tmux();

  beforeAll(async () => {
    Tmux.check();
    t = tempDir('tui-everyday');
    relay = await relayInProcess(`${t.dir}/relay`);
  });
  afterAll(async () => {
    tmux.kill();
    await relay.stop();
    t.cleanup();
  });

  it('Up on an empty line edits the last message; /react <id> shows under it; /expire makes a message leave', async () => {
    const alice = await newUser(t.dir, 'alice', relay);
    const bob = await newUser(t.dir, 'bob', relay);
    tmux.start('alice', alice, ['open', 'bob']);
    tmux.start('bob', bob, ['open', 'alice']);
    await tmux.waitFor('alice', /^ online .*alice@/m);
    await tmux.waitFor('bob', /^ online .*bob@/m);

    tmux.type('alice', 'deploy at 5');
    tmux.keys('alice', 'Enter');
    const seen = await tmux.waitFor('bob', /alice: deploy at 5 \[([0-9a-f]{8})\]/);
    const id = /alice: deploy at 5 \[([0-9a-f]{8})\]/.exec(seen)?.[1] ?? '';

    // Up on the empty line puts `/edit <id> <text>` in the input; alice changes the text and sends it.
    tmux.keys('alice', 'Up');
    await tmux.waitFor('alice', new RegExp(`bob> /edit ${id} deploy at 5`));
    tmux.keys('alice', 'BSpace');
    tmux.type('alice', '6, not 5');
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('bob', new RegExp(`alice: deploy at 6, not 5 \\(edited\\) \\[${id}\\]`));
    await tmux.waitFor('alice', /alice: deploy at 6, not 5 \(edited\) ✓✓ read/);

    tmux.type('bob', `/react ${id} :tada:`);
    tmux.keys('bob', 'Enter');
    // The reaction is a dim row under the message (after its short id, which may wrap), indented like its rows.
    const under = new RegExp(`deploy at 6, not 5 \\(edited\\)[^\\n]*\\n(?: *│? +\\[${id}\\]\\n)? *│? +🎉 bob`);
    await tmux.waitFor('alice', under);
    await tmux.waitFor('bob', under);

    // Disappearing messages (§17.5): 10 s, long enough on a busy machine to see both the timer's notice and the message
    // arrive before they leave (the notice expires too; 5 s was too tight, review rev17), then the message leaves both
    // screens on its own, and both databases.
    tmux.type('alice', '/expire 10s');
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('bob', /alice set disappearing messages to 10 s/);
    await tmux.waitFor('bob', /alice · .*disappearing 10 s/);
    tmux.type('alice', 'this will self-destruct');
    tmux.keys('alice', 'Enter');
    await tmux.waitFor('bob', /alice: this will self-destruct/);
    await tmux.waitForAbsent('bob', /self-destruct/);
    await tmux.waitForAbsent('alice', /self-destruct/);
    for (const home of [alice, bob]) {
      const db = openProfileDb(home, { readonly: true });
      expect(db.prepare("SELECT count(*) AS n FROM messages WHERE body LIKE '%self-destruct%'").get()).toEqual({
        n: 0,
      });
      db.close();
    }
    // The message from before the timer is still there.
    expect(tmux.capture('bob')).toMatch(/deploy at 6, not 5 \(edited\)/);
  });
});
