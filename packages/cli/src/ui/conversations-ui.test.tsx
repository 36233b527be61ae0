/**
 * The conversation list in the interactive session (issue 15): a changed key marked at once and the held messages
 * shown at once after /trust; /nick beside the username; /close; /open of an unknown user; a renamed group keeps its
 * conversation. Live sessions over the real engine and in-process relays, drawn by ink-testing-library.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, newUser } from '../../../../test/e2e/harness.js';
import { relayInProcess, tempDir, type InProcessRelay, until } from '../../test/helpers.js';
import { parseRelayAddress } from '../engine/address.js';
import { login } from '../engine/account.js';
import { AGENT } from '../version.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { uiSession } from '../../test/ui-session.js';

let t: ReturnType<typeof tempDir>;
let relay: InProcessRelay;
beforeAll(async () => {
  t = tempDir('conversations-ui');
  relay = await relayInProcess(`${t.dir}/relay`);
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

async function session(home: string, initial?: string) {
  const s = await uiSession(home, initial);
  /** The conversation list: the left column of each row. */
  const list = () =>
    s
      .frame()
      .split('\n')
      .map((l) => (l.split('│')[0] ?? '').trim())
      .join('\n');
  return { ...s, list };
}

const explain = (frame: () => string) => (e: unknown) => {
  throw new Error(`${e}\n${frame()}`);
};

describe('the conversation list', () => {
  it('a changed key is marked at once; after /trust the held messages show at once, in order, no reconnect', async () => {
    const root = join(t.dir, 'kc');
    const dora = await newUser(root, 'dora', relay);
    await newUser(root, 'erin', relay);
    const first = await Messenger.open(new Profile(dora), { passphrase: TEST_PASSPHRASE });
    await first.sendMessage('erin', 'pin erin');
    first.close();
    // "erin" with another key on another relay, which dora joins deliberately (her pins stay).
    const second = await relayInProcess(join(root, 'second'));
    try {
      const newErin = await newUser(join(root, 'new'), 'erin', second);
      await login(new Profile(dora), 'dora', parseRelayAddress(second.address), { agent: AGENT });
      const d = await session(dora, 'dora');
      try {
        const e = await Messenger.open(new Profile(newErin), { passphrase: TEST_PASSPHRASE });
        try {
          for (const body of ['one', 'two', 'three']) await e.sendMessage('dora', body);
        } finally {
          e.close();
        }
        // Not opened: the list marks erin as soon as her held messages arrive.
        await until(() => /erin.*!key/.test(d.list()), 'erin marked in the list').catch(explain(d.frame));
        expect(d.list()).not.toMatch(/dora.*!key/);
        expect(d.m.history({ peer: 'erin' }).map((x) => x.body)).toEqual(['pin erin']);

        d.controller.submit('/trust erin');
        await until(() => d.m.history({ peer: 'erin' }).length === 4, 'held messages committed').catch(
          explain(() => `${d.frame()}\n${JSON.stringify(d.m.history({ peer: 'erin' }))}`),
        );
        expect(d.m.history({ peer: 'erin' }).map((x) => x.body)).toEqual(['pin erin', 'one', 'two', 'three']);
        await until(() => !/erin.*!key/.test(d.list()), 'mark gone');
        d.controller.submit('/open erin');
        await until(() => /erin: three/.test(d.frame()), 'shown').catch(explain(d.frame));
        expect(d.logins()).toBe(1);
      } finally {
        await d.stop();
      }
    } finally {
      await second.stop();
    }
  });

  it('a trust from another process (chat trust in another terminal) lifts the mark and the send refusal', async () => {
    const root = join(t.dir, 'kc2');
    const fay = await newUser(root, 'fay', relay);
    await newUser(root, 'gus', relay);
    const first = await Messenger.open(new Profile(fay), { passphrase: TEST_PASSPHRASE });
    await first.sendMessage('gus', 'pin gus');
    first.close();
    const second = await relayInProcess(join(root, 'second'));
    try {
      const newGus = await newUser(join(root, 'new'), 'gus', second);
      await login(new Profile(fay), 'fay', parseRelayAddress(second.address), { agent: AGENT });
      const f = await session(fay, 'fay');
      try {
        const g = await Messenger.open(new Profile(newGus), { passphrase: TEST_PASSPHRASE });
        try {
          await g.sendMessage('fay', 'held one');
        } finally {
          g.close();
        }
        await until(() => /gus.*!key/.test(f.list()), 'gus marked in the list').catch(explain(f.frame));
        // Another process of fay's profile accepts the key: it only writes chat.db.
        const other = await Messenger.open(new Profile(fay), { passphrase: TEST_PASSPHRASE });
        try {
          other.trust('gus');
        } finally {
          other.close();
        }
        await until(() => f.m.history({ peer: 'gus' }).length === 2, 'the held message committed').catch(
          explain(f.frame),
        );
        await until(() => !/gus.*!key/.test(f.list()), 'mark gone').catch(explain(f.frame));
        f.controller.submit('/open gus');
        f.controller.submit('accepted elsewhere');
        await until(() => f.m.history({ peer: 'gus' }).some((x) => x.body === 'accepted elsewhere'), 'sent').catch(
          explain(f.frame),
        );
        expect(f.frame()).not.toMatch(/not sent/);
        expect(f.logins()).toBe(1);
      } finally {
        await f.stop();
      }
    } finally {
      await second.stop();
    }
  });

  it('/nick shows beside the username; /close drops a conversation until something new; /open of nobody', async () => {
    const root = join(t.dir, 'nc');
    const hal = await newUser(root, 'hal', relay);
    await newUser(root, 'ida', relay);
    await newUser(root, 'joe', relay);
    const seed = await Messenger.open(new Profile(hal), { passphrase: TEST_PASSPHRASE });
    await seed.sendMessage('ida', 'hello ida');
    await seed.sendMessage('joe', 'hello joe');
    seed.close();
    const h = await session(hal, 'joe');
    try {
      h.controller.submit('/nick ida Ida the Great');
      await until(() => h.list().includes('ida (Ida'), 'nickname in the list').catch(explain(h.frame));
      expect(h.m.store.nicknames.get('ida')).toBe('Ida the Great');
      h.controller.submit('/nick ida');
      await until(() => h.frame().includes('ida is shown as ida (Ida the Great)'), '/nick shows it');
      h.controller.submit('/nick ida --clear');
      await until(() => !h.list().includes('ida (Ida'), 'cleared');

      // /open of a user the relay does not know: nothing stays, and we are back where we were.
      h.controller.submit('/open nobody');
      await until(() => h.frame().includes('there is no user nobody on this relay'), 'refused').catch(explain(h.frame));
      expect(h.controller.current).toBe('joe');
      expect(h.list()).not.toContain('nobody');

      // /close the open conversation: gone from the list, the next one opens; something new brings it back.
      h.controller.submit('/close');
      await until(() => !h.list().includes('joe'), 'joe closed').catch(explain(h.frame));
      expect(h.controller.current).toBe('ida');
      expect(h.m.history({ peer: 'joe' }).map((x) => x.body)).toEqual(['hello joe']);
      const joe = await Messenger.open(new Profile(join(root, 'joe')), { passphrase: TEST_PASSPHRASE });
      try {
        await joe.sendMessage('hal', 'back again');
      } finally {
        joe.close();
      }
      await until(() => /joe\s+1/.test(h.list()), 'joe back with an unread message').catch(explain(h.frame));
    } finally {
      await h.stop();
    }
  });

  it('a renamed group keeps its conversation', async () => {
    const root = join(t.dir, 'rn');
    const kim = await newUser(root, 'kim', relay);
    const lee = await newUser(root, 'lee', relay);
    const k = await session(kim);
    const l = await session(lee);
    try {
      l.controller.submit('/msg kim hi'); // a contact's group is no invitation to consent to (§15.7)
      k.controller.submit('/group create team lee');
      await until(() => k.controller.current === '#team', 'kim in #team');
      k.controller.submit('before the rename');
      await until(() => l.list().includes('#team'), 'lee has #team');
      l.controller.submit('/open #team');
      await until(() => l.frame().includes('kim: before the rename'), 'lee sees it').catch(explain(l.frame));
      k.controller.submit('/group rename team crew');
      await until(() => k.controller.current === '#crew', 'kim follows').catch(explain(k.frame));
      await until(() => l.controller.current === '#crew', 'lee follows').catch(explain(l.frame));
      expect(l.list()).not.toContain('#team');
      expect(l.frame()).toContain('kim: before the rename');
      k.controller.submit('after the rename');
      await until(() => l.frame().includes('kim: after the rename'), 'still one conversation').catch(explain(l.frame));
    } finally {
      await k.stop();
      await l.stop();
    }
  });
});
