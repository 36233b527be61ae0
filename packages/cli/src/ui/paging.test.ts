/**
 * The session holds a page of a long history, not the history (issue 15): a controller over a real store with 1,000
 * messages and no relay (nothing is started), read through its view as the pane reads it.
 */
import { generateIdentity } from '@chat/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../../test/helpers.js';
import { Messenger } from '../engine/messenger.js';
import { Profile } from '../engine/profile.js';
import { localEngine } from '../session/local.js';
import { ChatController } from './controller.js';
import { PAGE_ROWS } from './paging.js';

describe('the session reads a long history a page at a time', () => {
  let t: TempDir;
  let m: Messenger;
  beforeAll(async () => {
    t = tempDir('paging');
    const profile = new Profile(`${t.dir}/bob`);
    profile.saveIdentity(generateIdentity());
    profile.saveConfig({ version: 1, username: 'bob', relay: '127.0.0.1:1', relayId: '01'.repeat(32) });
    m = await Messenger.open(profile);
    m.store.transaction(() => {
      for (let i = 0; i < 1_000; i++)
        m.store.messages.add({
          id: i.toString(16).padStart(32, '0'),
          peer: 'alice',
          direction: i % 2 ? 'out' : 'in',
          body: `m${i}`,
          ts: i,
          relayTs: null,
          // Pairs share a receive time: the order within one is the commit order.
          receivedAt: 1_000_000 + Math.floor(i / 2),
          state: i % 2 ? 'read' : null,
        });
    });
  });
  afterAll(() => {
    m.close();
    t.cleanup();
  });

  const bodies = (c: ChatController) => c.view().items.map((x) => (x.type === 'message' ? x.body : x.text));

  it('opens on the newest page; older and newer pages, the oldest and the newest, in order without gaps', () => {
    const c = new ChatController(localEngine(m), { initial: 'alice', write: () => {} });
    expect(bodies(c)).toEqual(Array.from({ length: PAGE_ROWS }, (_, i) => `m${900 + i}`));
    expect([c.view().older, c.view().newer]).toEqual([true, undefined]);
    expect(c.page('older')).toBe(true);
    expect(bodies(c)[0]).toBe('m800');
    expect(c.page('oldest')).toBe(true);
    expect(bodies(c)).toEqual(Array.from({ length: PAGE_ROWS }, (_, i) => `m${i}`));
    expect([c.view().older, c.view().newer]).toEqual([undefined, true]);
    expect(c.page('older')).toBe(false);
    for (let k = 0; k < 5; k++) expect(c.page('newer')).toBe(true);
    // At most 400 rows held: the oldest pages left as newer ones came in.
    expect(bodies(c)).toEqual(Array.from({ length: 400 }, (_, i) => `m${200 + i}`));
    expect(c.view().older).toBe(true);
    c.page('newest');
    expect(bodies(c).at(-1)).toBe('m999');
    expect(c.view().newer).toBeUndefined();
  });
});
