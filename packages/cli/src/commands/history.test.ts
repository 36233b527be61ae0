/**
 * `chat history` / `chat search` printing: wrapped to a terminal's width with the continuation mark (the word wrap is
 * loaded only then), unwrapped into a pipe. The commands themselves run end to end in test/e2e/everyday.test.ts.
 */
import { generateIdentity } from '@chat/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { memIo } from '../../test/helpers.js';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { Profile } from '../engine/profile.js';
import { Store } from '../engine/store/store.js';
import { history, search } from './history.js';

describe('chat history and chat search output', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  const BODY = 'a message long enough to need more than one row of forty columns';

  async function profileWithOneMessage(): Promise<string> {
    const t = tempDir('history');
    dirs.push(t);
    const profile = new Profile(t.dir);
    profile.saveConfig({ version: 1, username: 'bob', relay: '127.0.0.1:7717', relayId: '01'.repeat(32) });
    profile.saveIdentity(generateIdentity()); // plain keys: the history's storage key is in identity.json
    const store = Store.open(profile.dbPath, (await profile.unlockKeys(undefined)).storageKey);
    const ts = Date.now();
    store.messages.add({
      id: 'ab'.repeat(16),
      peer: 'alice',
      direction: 'in',
      body: BODY,
      ts,
      relayTs: ts,
      receivedAt: ts,
    });
    store.close();
    return t.dir;
  }

  it('into a pipe: one line, unwrapped', async () => {
    const io = memIo({ CHAT_HOME: await profileWithOneMessage(), TZ: 'UTC' });
    expect(await history({ target: 'alice' }, io)).toBe(0);
    expect(io.out().split('\n').filter(Boolean)).toEqual([expect.stringContaining(`alice: ${BODY}  [abababab]`)]);
  });

  it('to a terminal: wrapped to its width, every row but the first marked', async () => {
    for (const run of [
      (io: ReturnType<typeof memIo>) => history({ target: 'alice' }, io),
      (io: ReturnType<typeof memIo>) => search({ text: ['forty'] }, io),
    ]) {
      const io = memIo({ CHAT_HOME: await profileWithOneMessage(), TZ: 'UTC' });
      Object.assign(io.stdout, { isTTY: true, columns: 40 });
      expect(await run(io)).toBe(0);
      const rows = io.out().split('\n').filter(Boolean);
      expect(rows.length).toBeGreaterThan(2);
      for (const r of rows) expect([...r].length).toBeLessThanOrEqual(40);
      for (const r of rows.slice(1)) expect(r.startsWith('  | ')).toBe(true);
    }
  });
});
