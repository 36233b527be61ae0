/**
 * The commit queue's two rules on an engine whose calls take time (PostgreSQL): a put resolves only after the commit
 * holding it has returned (PROTOCOL.md §9, stored before `sent`), and one commit is in flight at a time, so batches
 * reach the store in the order they were queued.
 */
import { describe, expect, it } from 'vitest';
import { CommitQueue } from './commit-queue.js';
import { envelope, user } from './store/mailbox-store.suite.js';
import type { MailboxStore } from './store/mailbox-store.js';
import { createMemoryStore } from './store/memory-store.js';

const QUOTA = { maxMessages: 1000, maxBytes: 1e9 };

/** The memory store, with each commit held until the test releases it. */
function slowStore() {
  const inner = createMemoryStore();
  const held: { release: () => void; size: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store: MailboxStore = {
    ...inner,
    async commit(removals, items, quota) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((release) => held.push({ release, size: items.length }));
      const results = await inner.commit(removals, items, quota);
      inFlight--;
      return results;
    },
  };
  return { inner, store, held, maxInFlight: () => maxInFlight };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setImmediate(r));
};

describe('CommitQueue on a slow engine', () => {
  it('resolves a put only after its commit returned, and runs one commit at a time in queue order', async () => {
    const { inner, store, held, maxInFlight } = slowStore();
    await inner.registerUser(user('bob'));
    const q = new CommitQueue(store, QUOTA);
    const first = [envelope('bob'), envelope('bob')];
    const firstDone = first.map((e) => q.put(e));
    let resolved = 0;
    for (const p of firstDone) void p.then(() => resolved++);
    await until(() => held.length === 1);
    // While the first commit is held, more arrive: they wait for the next batch, not a second transaction.
    const second = [envelope('bob'), envelope('bob'), envelope('bob')];
    const secondDone = second.map((e) => q.put(e));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(held).toHaveLength(1);
    expect(resolved).toBe(0); // nothing is answered before its commit returns
    held[0]!.release();
    expect(await Promise.all(firstDone)).toEqual(['stored', 'stored']);
    await until(() => held.length === 2);
    expect(held[1]!.size).toBe(3);
    held[1]!.release();
    expect(await Promise.all(secondDone)).toEqual(['stored', 'stored', 'stored']);
    expect(maxInFlight()).toBe(1);
    const order = (await inner.list('bob', 0, 10)).map((e) => Buffer.from(e.id).toString('hex'));
    expect(order).toEqual([...first, ...second].map((e) => Buffer.from(e.id).toString('hex')));
  });

  it('settled() and flush() wait for the commit in flight and the batch behind it', async () => {
    const { inner, store, held } = slowStore();
    await inner.registerUser(user('bob'));
    const q = new CommitQueue(store, QUOTA);
    void q.put(envelope('bob'));
    await until(() => held.length === 1);
    void q.put(envelope('bob'));
    let settled = false;
    void q.settled().then(() => (settled = true));
    const flushed = q.flush();
    held[0]!.release();
    await until(() => held.length === 2);
    expect(settled).toBe(false);
    held[1]!.release();
    await flushed;
    await until(() => settled);
    expect((await inner.stats('bob')).count).toBe(2);
  });
});
