/** `chat block` / `chat unblock`: what they print, and the queued messages a block holds (§17.4). */
import { MessageKind, generateIdentity } from '@chat/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { memIo } from '../../test/helpers.js';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { Profile } from '../engine/profile.js';
import { Store } from '../engine/store/store.js';
import { block, unblock } from './block.js';

describe('chat block', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  /** A logged-in profile (no relay is contacted) with `n` texts queued for bob. */
  async function profileWithQueued(n: number): Promise<{ home: string; ids: string[] }> {
    const t = tempDir('block');
    dirs.push(t);
    const profile = new Profile(t.dir);
    profile.saveIdentity(generateIdentity());
    profile.saveConfig({ version: 1, username: 'alice', relay: '127.0.0.1:1', relayId: '00'.repeat(32) });
    const store = Store.open(profile.dbPath, (await profile.unlockKeys(undefined)).storageKey);
    const ids = Array.from({ length: n }, (_, i) => `${i}`.padStart(32, '0'));
    for (const id of ids) {
      const m = { id, peer: 'bob', direction: 'out' as const, body: 'x', ts: 1, relayTs: null, receivedAt: 1 };
      store.outbox.enqueue({ id, peer: 'bob', kind: MessageKind.text, body: Uint8Array.of(1), ts: 1 }, m);
    }
    store.close();
    return { home: t.dir, ids };
  }

  it('says what it did, and how many queued messages it holds', async () => {
    const lines: string[] = [];
    for (const n of [0, 1, 2]) {
      const { home } = await profileWithQueued(n);
      const io = memIo({ CHAT_HOME: home });
      expect(await block({ username: 'Bob' }, io)).toBe(0);
      lines.push(io.out());
    }
    const head = 'blocked bob: nothing from them is stored or shown, nothing goes back to them';
    expect(lines).toEqual([
      `${head}\n`,
      `${head}; 1 queued message to them held until you unblock them\n`,
      `${head}; 2 queued messages to them held until you unblock them\n`,
    ]);
  });

  it('--json names the held messages; unblock says they go out; a second block or unblock changes nothing', async () => {
    const { home, ids } = await profileWithQueued(2);
    const run = async (f: typeof block, json: boolean) => {
      const io = memIo({ CHAT_HOME: home });
      expect(await f({ username: 'bob', json }, io)).toBe(0);
      return io.out();
    };
    expect(JSON.parse(await run(block, true))).toEqual({ username: 'bob', blocked: true, changed: true, queued: ids });
    expect(await run(block, false)).toBe(
      'bob was already blocked; 2 queued messages to them held until you unblock them\n',
    );
    expect(await run(unblock, false)).toBe('unblocked bob; 2 queued messages to them no longer held\n');
    expect(JSON.parse(await run(unblock, true))).toEqual({
      username: 'bob',
      blocked: false,
      changed: false,
      queued: ids,
    });
    expect(await run(unblock, false)).toBe('bob was not blocked\n');
  });
});
