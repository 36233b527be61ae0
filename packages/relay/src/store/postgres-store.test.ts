/**
 * The PostgreSQL engine (issue 17) against the shared store contracts, on a throwaway cluster (test/fixtures/postgres.ts):
 * one cluster for this file, one fresh schema per test. Without a PostgreSQL server this file fails, saying why.
 */
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../../../test/fixtures/postgres.js';
import { describeBlobs } from '../blobs/blobs.suite.js';
import type { Blobs } from '../blobs/rules.js';
import { describeAccountStore } from './accounts.suite.js';
import { describeMailboxStore, envelope, user } from './mailbox-store.suite.js';
import type { MailboxStore } from './mailbox-store.js';
import { openPostgresStores } from './postgres-store.js';
import { describePrekeyStore } from './prekeys.suite.js';
import { describeRoomStore } from './rooms.suite.js';

const cluster = usePostgres();

const urls = new Map<MailboxStore, string>();
const open = async (url?: string) => {
  const u = url ?? (await cluster.database());
  const stores = await openPostgresStores(u, 4);
  urls.set(stores.store, u);
  return stores;
};

describeMailboxStore(
  'postgres',
  async () => (await open()).store,
  async (store) => {
    await store.close();
    return (await open(urls.get(store))).store;
  },
  async (store) => (await open(urls.get(store))).store,
);

describeAccountStore('postgres', open);
describePrekeyStore('postgres', async () => {
  const main = await open();
  const url = urls.get(main.store)!;
  const others: Awaited<ReturnType<typeof open>>[] = [];
  return {
    prekeys: main.prekeys,
    // Another relay process on the same database: its own pool.
    other: async () => {
      const o = await open(url);
      others.push(o);
      return o.prekeys;
    },
    register: async (name) => void (await main.store.registerUser(user(name))),
    deleteAccount: async (name) => void (await main.accounts.deleteUser(name)),
    close: async () => {
      for (const o of others) await o.store.close();
      await main.store.close();
    },
  };
});
describeRoomStore('postgres', async () => (await open()).rooms);
describeBlobs('postgres', async (limits) => {
  const stores = await open();
  // Closing these blobs closes the pool they share with the mailbox store.
  const blobs = Object.create(stores.blobs(limits)) as Blobs;
  blobs.close = () => stores.store.close();
  return blobs;
});

describe('postgres store start-up', () => {
  it('two relays opening one empty database at once create the schema once and share one relay id', async () => {
    const url = await cluster.database();
    const [a, b] = await Promise.all([open(url), open(url)]);
    expect(Buffer.from(a.store.relayId).equals(Buffer.from(b.store.relayId))).toBe(true);
    await a.store.registerUser(user('bob'));
    expect(await b.store.putMany([envelope('bob')], { maxMessages: 10, maxBytes: 1e6 })).toEqual(['stored']);
    await a.store.close();
    await b.store.close();
  });

  it('refuses an unreachable server with STORE_UNAVAILABLE', async () => {
    await expect(openPostgresStores('postgres://postgres@127.0.0.1:1/none')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });
});
