/**
 * The daemon's `block` over a real store, without a socket: what it returns, and the `delivery` notification each
 * queued message it withdrew is told to subscribers with (docs/JSONRPC.md, PROTOCOL.md §17.4).
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

it('block returns the withdrawn ids and tells each as a failed delivery; unblock returns no list', async () => {
  const t = tempDir('methods-contacts');
  dirs.push(t);
  const store = Store.open(join(t.dir, 'chat.db'), TEST_STORAGE_KEY);
  try {
    const id = 'ab'.repeat(16);
    const queued = { id, peer: 'bob', direction: 'out' as const, body: 'x', ts: 1, relayTs: null, receivedAt: 1 };
    store.outbox.enqueue({ id, peer: 'bob', kind: MessageKind.text, body: Uint8Array.of(1), ts: 1 }, queued);
    const events: unknown[] = [];
    const engine = { store, username: 'alice', emit: (...a: unknown[]) => events.push(a) };
    const methods = new Map<string, (d: EngineDeps<typeof engine>, p: Record<string, unknown>) => unknown>();
    registerContactMethods(((name: string, f: never) => methods.set(name, f)) as never);
    const call = (name: string, recipient: string) => methods.get(name)!({ engine, downloads: t.dir }, { recipient });

    expect(await call('block', 'Bob')).toEqual({ username: 'bob', blocked: true, changed: true, unsent: [id] });
    expect(events).toEqual([['delivery', { id, peer: 'bob', state: 'failed', error: 'BLOCKED' }]]);
    expect(await call('block', 'bob')).toEqual({ username: 'bob', blocked: true, changed: false, unsent: [] });
    expect(await call('unblock', 'bob')).toEqual({ username: 'bob', blocked: false, changed: true });
    expect(events).toHaveLength(1);
  } finally {
    store.close();
  }
});
