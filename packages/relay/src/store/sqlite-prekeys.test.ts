import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tempDir } from '../../../../test/fixtures/temp.js';
import { user } from './mailbox-store.suite.js';
import { describePrekeyStore } from './prekeys.suite.js';
import { openSqliteStores } from './sqlite-store.js';

const tmp = tempDir('relay-prekeys');
afterAll(() => tmp.cleanup());
let n = 0;

describePrekeyStore('sqlite', async () => {
  const file = join(tmp.dir, `p-${n++}.db`);
  const main = openSqliteStores(file);
  const others: ReturnType<typeof openSqliteStores>[] = [];
  return {
    prekeys: main.prekeys,
    other: async () => {
      const o = openSqliteStores(file);
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
