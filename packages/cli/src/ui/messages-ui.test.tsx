import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, newUser } from '../../../../test/e2e/harness.js';
import { relayInProcess, tempDir, type InProcessRelay, until } from '../../test/helpers.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { uiSession } from '../../test/ui-session.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
beforeAll(async () => {
  t = tempDir('messages-ui');
  relay = await relayInProcess(`${t.dir}/relay`);
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

async function session(home: string, initial?: string) {
  const s = await uiSession(home, initial);
  // The pane's rows without the conversation list beside them.
  const pane = () =>
    s
      .frame()
      .split('\n')
      .map((l) => (l.split('│').pop() ?? '').trim())
      .join('\n');
  /** The local id of the newest message in the open conversation whose text is `body`. */
  const idOf = (body: string) => {
    const it = s.controller
      .view()
      .items.filter((x) => x.type === 'message' && x.body === body)
      .pop();
    if (it?.type !== 'message') throw new Error(`no message ${body}`);
    return it.id;
  };
  return { ...s, pane, idOf };
}

describe('replies, edits, deletes and reactions in the interactive session', () => {
  it('1:1: /reply quotes, Up edits the last message, /react shows under it, /delete, /search, --for-me', async () => {
    const alice = await newUser(t.dir, 'alice', relay);
    const bob = await newUser(t.dir, 'bob', relay);
    const a = await session(alice, 'bob');
    const b = await session(bob, 'alice');
    try {
      a.controller.submit('lunch at noon?');
      await until(() => b.pane().includes('alice: lunch at noon?'), 'bob sees it');
      const id = b.idOf('lunch at noon?');
      // The short id the pane shows is what the commands take.
      expect(b.pane()).toContain(`[${id.slice(0, 8)}]`);
      expect(a.pane()).toContain(`[${id.slice(0, 8)}]`);

      // A local nickname (chat nick) shows beside the username, in the pane and the header.
      b.m.store.nicknames.set('alice', 'Al', Date.now());
      b.controller.refresh();
      await until(() => b.pane().includes('alice (Al): lunch at noon?'), 'nickname beside the username');
      expect(b.pane()).toMatch(/^alice \(Al\) · online/m);
      b.m.store.nicknames.clear('alice');

      b.controller.submit(`/reply ${id.slice(0, 8)} yes, the usual place`);
      await until(() => a.pane().includes('bob: yes, the usual place'), 'alice sees the reply');
      expect(a.pane()).toMatch(/> alice: lunch at noon\?\n.*bob: yes, the usual place/);
      b.controller.submit('/reply and bring the slides'); // no id: to alice's last message
      await until(() => a.pane().includes('bob: and bring the slides'), 'second reply');
      expect(a.m.store.history.byId(b.idOf('and bring the slides'))?.replyTo).toBe(id);

      // Up on an empty line: /edit of alice's last message, ready to change.
      a.ui.stdin.write('\u001b[A');
      await until(() => a.pane().includes(`bob> /edit ${id.slice(0, 8)} lunch at noon?`), 'Up fills /edit');
      a.ui.stdin.write('\u0008'); // Backspace: drop the '?'
      a.ui.stdin.write(' or 1pm?');
      a.ui.stdin.write('\r');
      await until(() => b.pane().includes('alice: lunch at noon or 1pm? (edited)'), 'bob sees the edit');
      expect(a.pane()).toContain('alice: lunch at noon or 1pm? (edited)');
      // The quote above bob's reply follows the edit.
      await until(() => a.pane().includes('> alice: lunch at noon or 1pm?'), 'quote follows the edit');

      b.controller.submit(`/react ${id.slice(0, 8)} :tada:`);
      await until(() => a.pane().includes('🎉 bob'), 'alice sees the reaction under her message');
      expect(a.pane()).toMatch(/lunch at noon or 1pm\? \(edited\).*\n\s*🎉 bob/);
      b.controller.submit(`/react ${id.slice(0, 8)}`);
      await until(() => !a.pane().includes('🎉 bob'), 'the reaction is removed');

      a.controller.submit('/search 1PM');
      await until(() => a.pane().includes('search "1PM"'), '/search');
      expect(a.pane()).toMatch(/bob alice: lunch at noon or 1pm\? \(edited\)\s+\[/);

      b.controller.submit(`/edit ${id.slice(0, 8)} not mine`);
      await until(() => b.pane().includes('only alice, who sent message'), 'only the sender edits');

      a.controller.submit(`/delete ${id.slice(0, 8)}`);
      await until(() => b.pane().includes('alice: message deleted'), 'bob sees it deleted');
      expect(b.pane()).not.toContain('lunch at noon');

      const slides = b.idOf('and bring the slides');
      b.controller.submit(`/delete ${slides.slice(0, 8)} --for-me`);
      await until(() => !b.pane().includes('and bring the slides'), 'gone from bob only');
      expect(a.pane()).toContain('bob: and bring the slides');

      b.controller.submit('/delete 12345678');
      await until(() => b.pane().includes('no message 12345678'), 'unknown id');
      b.controller.submit('/react nothex');
      await until(() => b.pane().includes('usage: /react <id> [emoji]'), 'usage');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('/block: nothing from a blocked user is shown; /unblock; a group edit and reaction', async () => {
    const carol = await newUser(t.dir, 'carol', relay);
    const dave = await newUser(t.dir, 'dave', relay);
    const c = await session(carol, 'dave');
    const d = await session(dave, 'carol');
    try {
      d.controller.submit('hi carol');
      await until(() => c.pane().includes('dave: hi carol'), 'carol sees dave');
      c.controller.submit('/block dave');
      await until(() => c.pane().includes('blocked dave'), 'blocked');
      d.controller.submit('are you there?');
      const sent = (body: string) => () =>
        d.controller.view().items.some((x) => x.type === 'message' && x.body === body && x.state === 'sent');
      await until(sent('are you there?'), 'the relay stored it');
      // Carol's mailbox is first in, first out: once erin's later message is shown, dave's was handled (dropped).
      const erin = await Messenger.open(new Profile(await newUser(t.dir, 'erin', relay)), {
        passphrase: TEST_PASSPHRASE,
      });
      await erin.sendMessage('carol', 'ping');
      erin.close();
      await until(() => c.frame().includes('erin'), 'carol has erin in her list');
      c.controller.submit('/unblock @dave');
      await until(() => c.pane().includes('unblocked dave'), 'unblocked');
      d.controller.submit('now?');
      await until(() => c.pane().includes('dave: now?'), 'carol sees dave again');
      expect(c.pane()).not.toContain('are you there?');
      expect(c.m.store.history.search('are you there', 5)).toEqual([]);

      c.controller.submit('/group create crew dave');
      await until(() => c.controller.current === '#crew', 'carol in #crew');
      d.controller.submit('/open #crew');
      c.controller.submit('standup in 5');
      await until(() => d.pane().includes('carol: standup in 5'), 'dave sees it');
      const gid = d.idOf('standup in 5');
      d.controller.submit(`/react ${gid.slice(0, 8)} 🎉`);
      await until(() => c.pane().includes('🎉 dave'), 'carol sees the group reaction');
      c.controller.submit(`/edit ${c.idOf('standup in 5').slice(0, 8)} standup in 10`);
      await until(() => d.pane().includes('carol: standup in 10 (edited)'), 'dave sees the group edit');
      expect(d.pane()).toContain('🎉 dave');
    } finally {
      await c.stop();
      await d.stop();
    }
  });

  it('/expire: both sides show the timer; an expiring message leaves the screen and the database', async () => {
    const erin = await newUser(t.dir, 'erin2', relay);
    const frank = await newUser(t.dir, 'frank', relay);
    const e = await session(erin, 'frank');
    const f = await session(frank, 'erin2');
    try {
      e.controller.submit('/expire 3s'); // long enough to see it arrive on a busy machine
      // A line of the conversation on both sides (state `event`, drawn like a group's `*` line).
      await until(() => e.pane().includes('* erin2 set disappearing messages to 3 s'), 'erin sets it');
      await until(() => f.pane().includes('erin2 set disappearing messages to 3 s'), 'frank is told');
      expect(f.pane()).toMatch(/erin2 · .*disappearing 3 s/);
      f.controller.submit('/expire');
      await until(() => f.pane().includes('disappearing messages here: 3 s'), '/expire shows it');
      e.controller.submit('poof');
      await until(() => f.pane().includes('erin2: poof'), 'frank sees it');
      const id = f.idOf('poof');
      await until(() => !f.pane().includes('erin2: poof') && !e.pane().includes('erin2: poof'), 'gone from both');
      expect(f.m.store.history.byId(id)).toBeUndefined();
      expect(e.m.store.history.byId(id)).toBeUndefined();
      e.controller.submit('/expire off');
      await until(() => f.pane().includes('erin2 turned disappearing messages off'), 'off');
      f.controller.submit('/expire 1y');
      await until(() => f.pane().includes('a timer is off, or 1 s to 365 d'), 'a bad duration is an inline error');
    } finally {
      await e.stop();
      await f.stop();
    }
  });
});
