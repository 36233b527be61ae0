/**
 * The daemon's `block` and `unblock` over a real store, without a socket: what they return, with the messages a block
 * holds (docs/JSONRPC.md, PROTOCOL.md §17.4), and the unblock sending the outbox again.
 */
import { join } from 'node:path';
import { MessageKind } from '@chat/crypto';
import { afterEach, expect, it } from 'vitest';
import { TEST_STORAGE_KEY, tempDir } from '../../test/helpers.js';
import { Store } from '../engine/store/store.js';
import type { EngineDeps } from './register.js';
import { registerContactMethods } from './methods-contacts.js';

const dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

it('block names the held messages; unblock names them too and flushes the outbox', async () => {
  const t = tempDir('methods-contacts');
  dirs.push(t);
  const store = Store.open(join(t.dir, 'chat.db'), TEST_STORAGE_KEY);
  try {
    const id = 'ab'.repeat(16);
    const queued = { id, peer: 'bob', direction: 'out' as const, body: 'x', ts: 1, relayTs: null, receivedAt: 1 };
    store.outbox.enqueue({ id, peer: 'bob', kind: MessageKind.text, body: Uint8Array.of(1), ts: 1 }, queued);
    let flushes = 0;
    const engine = { store, username: 'alice', flushOutbox: async () => void flushes++ };
    const methods = new Map<string, (d: EngineDeps<typeof engine>, p: Record<string, unknown>) => unknown>();
    registerContactMethods(((name: string, f: never) => methods.set(name, f)) as never);
    const call = (name: string, recipient: string) => methods.get(name)!({ engine, downloads: t.dir }, { recipient });

    expect(await call('block', 'Bob')).toEqual({ username: 'bob', blocked: true, changed: true, queued: [id] });
    expect(await call('block', 'bob')).toEqual({ username: 'bob', blocked: true, changed: false, queued: [id] });
    expect(flushes).toBe(0);
    expect(await call('unblock', 'bob')).toEqual({ username: 'bob', blocked: false, changed: true, queued: [id] });
    expect(flushes).toBe(1);
    expect(await call('unblock', 'bob')).toEqual({ username: 'bob', blocked: false, changed: false, queued: [id] });
    expect(flushes).toBe(1);
  } finally {
    store.close();
  }
});
