import { describe, expect, it } from 'vitest';
import type { AccountStore } from './accounts.js';
import { envelope, user } from './mailbox-store.suite.js';
import type { MailboxStore } from './mailbox-store.js';

const quota = { maxMessages: 100, maxBytes: 1e6 };

/**
 * The contract of `AccountStore` (PROTOCOL.md §14) that every engine meets; `fresh()` opens an empty mailbox store
 * and its account store on the same data.
 */
export function describeAccountStore(
  name: string,
  fresh: () => Promise<{ store: MailboxStore; accounts: AccountStore }>,
): void {
  describe(`AccountStore contract: ${name}`, () => {
    it('lists accounts by name with mailbox depth and size, paged', async () => {
      const { store, accounts } = await fresh();
      for (const name of ['carol', 'alice', 'bob']) await store.registerUser(user(name, 5));
      await store.putMany([envelope('bob', 100), envelope('bob', 50), envelope('carol', 7)], quota);
      expect(await accounts.list('', 10)).toEqual([
        { username: 'alice', createdAt: 5, banned: false, depth: 0, bytes: 0 },
        { username: 'bob', createdAt: 5, banned: false, depth: 2, bytes: 150 },
        { username: 'carol', createdAt: 5, banned: false, depth: 1, bytes: 7 },
      ]);
      expect((await accounts.list('alice', 1)).map((a) => a.username)).toEqual(['bob']);
      expect(await accounts.totals()).toEqual({ users: 3, queued: 3, queuedBytes: 157 });
      await store.close();
    });

    it('bans and unbans, also names that are not registered', async () => {
      const { store, accounts } = await fresh();
      await store.registerUser(user('bob'));
      expect(await accounts.ban('bob', 'spam', 1)).toBe(true);
      expect(await accounts.ban('bob', 'again', 2)).toBe(false);
      expect(await accounts.ban('ghost', '', 1)).toBe(true);
      expect(await accounts.isBanned('bob')).toBe(true);
      expect(await accounts.isBanned('ghost')).toBe(true);
      expect(await accounts.list('', 10)).toEqual([expect.objectContaining({ username: 'bob', banned: true })]);
      expect(await accounts.unban('bob')).toBe(true);
      expect(await accounts.unban('bob')).toBe(false);
      expect(await accounts.isBanned('bob')).toBe(false);
      await store.close();
    });

    it('an invite registers one name once, and not after it expired; only its hash is stored', async () => {
      const { store, accounts } = await fresh();
      const code = await accounts.createInvite(1_000, 2_000);
      expect(code).toMatch(/^[0-9a-f]{40}$/);
      expect(await accounts.registerWithInvite(user('dave'), 'nope', 1_500)).toBe('invalid');
      expect(await store.getUser('dave')).toBeUndefined();
      expect(await accounts.registerWithInvite(user('dave'), code, 1_500)).toBe('ok');
      expect(await store.getUser('dave')).toBeDefined();
      expect(await accounts.registerWithInvite(user('erin'), code, 1_500)).toBe('invalid');
      const late = await accounts.createInvite(1_000, 2_000);
      expect(await accounts.registerWithInvite(user('erin'), late, 2_000)).toBe('invalid');
      expect(await store.getUser('erin')).toBeUndefined();
      await store.close();
    });

    it('deleting a user deletes its mailbox and frees the name', async () => {
      const { store, accounts } = await fresh();
      await store.registerUser(user('bob'));
      await store.putMany([envelope('bob'), envelope('bob')], quota);
      expect(await accounts.deleteUser('bob')).toBe(true);
      expect(await accounts.deleteUser('bob')).toBe(false);
      expect(await store.getUser('bob')).toBeUndefined();
      expect(await store.list('bob', 0, 10)).toEqual([]);
      expect((await store.registerUser(user('bob'))).created).toBe(true);
      expect(await store.stats('bob')).toEqual({ count: 0, bytes: 0 });
      await store.close();
    });

    it('expires accounts never used again, with their mailboxes; not returning, recent or kept ones', async () => {
      const { store, accounts } = await fresh();
      for (const [name, at] of [
        ['ghost', 1],
        ['back', 1],
        ['online', 1],
        ['recent', 50],
      ] as const)
        await store.registerUser(user(name, at));
      await store.putMany([envelope('ghost', 60)], quota);
      await accounts.noteReturn('back', 20);
      expect(await accounts.expireUnused(10, (u) => u === 'online')).toEqual(['ghost']);
      expect(await Promise.all(['ghost', 'back', 'online', 'recent'].map((u) => store.hasUser(u)))).toEqual([
        false,
        true,
        true,
        true,
      ]);
      expect(await accounts.totals()).toMatchObject({ users: 3, queued: 0 });
      await store.close();
    });
  });
}
