/** `chat contacts`' text columns: names are padded by their width on the terminal, not by their length. */
import { generateIdentity } from '@chat/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { memIo } from '../../test/helpers.js';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { Profile } from '../engine/profile.js';
import { Store } from '../engine/store/store.js';
import { contacts } from './contacts.js';

describe('chat contacts', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  /** The text output for a profile where `blocked` are blocked (no key pinned) with these nicknames. */
  async function listed(blocked: string[], nicknames: Record<string, string>): Promise<string[]> {
    const t = tempDir('contacts');
    dirs.push(t);
    const profile = new Profile(t.dir);
    profile.saveIdentity(generateIdentity()); // plain keys: the history's storage key is in identity.json
    const store = Store.open(profile.dbPath, (await profile.unlockKeys(undefined)).storageKey);
    for (const u of blocked) store.blocked.block(u, 1);
    for (const [u, n] of Object.entries(nicknames)) store.nicknames.set(u, n, 1);
    store.close();
    const io = memIo({ CHAT_HOME: t.dir });
    expect(await contacts({}, io)).toBe(0);
    return io.out().split('\n').filter(Boolean);
  }

  it('pads ASCII names by their length', async () => {
    expect(await listed(['bob', 'al'], {})).toEqual(
      expect.arrayContaining(['bob  blocked (no key pinned)', 'al   blocked (no key pinned)']),
    );
  });

  // string-width is loaded only for such a name (issue 15): the columns still line up.
  it('pads a name with wide characters by its width on the terminal', async () => {
    expect(await listed(['bob', 'al'], { bob: '日本' })).toEqual(
      expect.arrayContaining(['bob (日本)  blocked (no key pinned)', 'al          blocked (no key pinned)']),
    );
  });
});
