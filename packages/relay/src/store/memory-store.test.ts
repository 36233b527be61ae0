import { describeMailboxStore, user } from './mailbox-store.suite.js';
import { createMemoryPrekeyStore } from './memory-prekeys.js';
import { createMemoryStore } from './memory-store.js';
import { describePrekeyStore } from './prekeys.suite.js';

describeMailboxStore('memory', createMemoryStore);

describePrekeyStore('memory', async () => {
  const users = new Set<string>();
  const prekeys = createMemoryPrekeyStore(async (u) => users.has(u));
  return {
    prekeys,
    other: async () => prekeys,
    register: async (name) => void users.add(user(name).username),
    deleteAccount: async (name) => {
      users.delete(name);
      await prekeys.remove(name);
    },
    close: async () => {},
  };
});
