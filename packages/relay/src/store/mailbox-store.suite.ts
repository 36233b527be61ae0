import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvelopeInput, MailboxQuota, MailboxStore, PutResult, UserRecord } from './mailbox-store.js';

const QUOTA: MailboxQuota = { maxMessages: 10_000, maxBytes: 64 * 1024 * 1024 };

export function user(username: string, createdAt = 1): UserRecord {
  return {
    username,
    identityPublicKey: new Uint8Array(randomBytes(32)),
    encryptionPublicKey: new Uint8Array(randomBytes(32)),
    bundleSignature: new Uint8Array(randomBytes(64)),
    createdAt,
  };
}

export function envelope(recipient: string, size = 100, at = 1000, ttl = 1000): EnvelopeInput {
  return {
    recipient,
    id: new Uint8Array(randomBytes(16)),
    envelope: new Uint8Array(randomBytes(size)),
    receivedAt: at,
    expiresAt: at + ttl,
  };
}

const bytes = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * The contract every `MailboxStore` engine must meet. `open()` returns a fresh, empty store; `reopen`, when the
 * engine is durable, closes the given store and opens the same data again; `sibling`, when the engine can be shared,
 * opens a second handle on the same data (another relay on the same database), which the test closes.
 */
export function describeMailboxStore(
  name: string,
  open: () => MailboxStore | Promise<MailboxStore>,
  reopen?: (store: MailboxStore) => Promise<MailboxStore>,
  sibling?: (store: MailboxStore) => Promise<MailboxStore>,
): void {
  describe(`MailboxStore contract: ${name}`, () => {
    let store: MailboxStore;
    beforeEach(async () => {
      store = await open();
      await store.registerUser(user('alice'));
      await store.registerUser(user('bob'));
    });
    afterEach(() => store.close());

    it('has a 32-byte relay id', async () => {
      expect(store.relayId).toHaveLength(32);
    });

    it('registers a user once and keeps the first bundle', async () => {
      const first = (await store.getUser('alice'))!;
      const again = await store.registerUser(user('alice', 99));
      expect(again.created).toBe(false);
      expect(bytes(again.user.identityPublicKey)).toBe(bytes(first.identityPublicKey));
      expect(await store.getUser('carol')).toBeUndefined();
      const carol = user('carol');
      expect((await store.registerUser(carol)).created).toBe(true);
      const got = (await store.getUser('carol'))!;
      expect(bytes(got.identityPublicKey)).toBe(bytes(carol.identityPublicKey));
      expect(bytes(got.encryptionPublicKey)).toBe(bytes(carol.encryptionPublicKey));
      expect(bytes(got.bundleSignature)).toBe(bytes(carol.bundleSignature));
    });

    it('stores, lists in order, and pages with afterSeq', async () => {
      const items = Array.from({ length: 5 }, () => envelope('bob'));
      expect(await store.putMany(items, QUOTA)).toEqual(Array(5).fill('stored'));
      const all = await store.list('bob', 0, 100);
      expect(all.map((e) => bytes(e.id))).toEqual(items.map((i) => bytes(i.id)));
      expect(bytes(all[2]!.envelope)).toBe(bytes(items[2]!.envelope));
      const page = await store.list('bob', all[1]!.seq, 2);
      expect(page.map((e) => bytes(e.id))).toEqual([bytes(items[2]!.id), bytes(items[3]!.id)]);
      expect(await store.list('alice', 0, 100)).toEqual([]);
    });

    it('treats the same recipient and id as a duplicate, even within one batch', async () => {
      const e = envelope('bob');
      expect(await store.putMany([e, { ...e }], QUOTA)).toEqual(['stored', 'duplicate']);
      expect(await store.putMany([e], QUOTA)).toEqual(['duplicate']);
      expect(await store.list('bob', 0, 10)).toHaveLength(1);
      // the same id for another recipient is a different envelope
      expect(await store.putMany([{ ...e, recipient: 'alice' }], QUOTA)).toEqual(['stored']);
    });

    it('refuses unknown recipients', async () => {
      expect(await store.putMany([envelope('nobody')], QUOTA)).toEqual(['unknown_recipient']);
    });

    it('enforces the message and byte quotas and counts within a batch', async () => {
      const q = { maxMessages: 3, maxBytes: 1_000 };
      expect(await store.putMany([envelope('bob'), envelope('bob'), envelope('bob'), envelope('bob')], q)).toEqual([
        'stored',
        'stored',
        'stored',
        'mailbox_full',
      ]);
      expect(await store.stats('bob')).toEqual({ count: 3, bytes: 300 });
      const qb = { maxMessages: 100, maxBytes: 250 };
      expect(await store.putMany([envelope('alice', 200), envelope('alice', 51), envelope('alice', 50)], qb)).toEqual([
        'stored',
        'mailbox_full',
        'stored',
      ]);
    });

    it('limits what one sender tag holds of a mailbox, by count and bytes; removal frees the share', async () => {
      const q: MailboxQuota = { maxMessages: 100, maxBytes: 100_000, perSender: { maxMessages: 2, maxBytes: 250 } };
      const m = new Uint8Array(16).fill(1);
      const a = new Uint8Array(16).fill(2);
      const from = (tag: Uint8Array, size = 100) => ({ ...envelope('bob', size), senderTag: tag });
      const first = [from(m), from(m)];
      expect(await store.putMany([...first, from(m), from(a), { ...envelope('bob') }], q)).toEqual([
        'stored',
        'stored',
        'mailbox_full',
        'stored',
        'stored',
      ]);
      expect(await store.putMany([first[0]!], q)).toEqual(['duplicate']); // a retry is still acknowledged
      expect(await store.putMany([from(m, 100)], { ...q, perSender: undefined })).toEqual(['stored']); // no limit asked for
      await store.remove('bob', [first[0]!.id, first[1]!.id]); // m now holds the one stored without a limit
      expect(await store.putMany([from(m), from(m)], q)).toEqual(['stored', 'mailbox_full']);
      const c = new Uint8Array(16).fill(3);
      expect(await store.putMany([from(c, 200), from(c, 100)], q)).toEqual(['stored', 'mailbox_full']); // 300 > 250 bytes
    });

    it('limits what one address tag holds of a mailbox across sender tags; removal frees the share', async () => {
      const q: MailboxQuota = {
        maxMessages: 100,
        maxBytes: 100_000,
        perSender: { maxMessages: 2, maxBytes: 10_000 },
        perAddress: { maxMessages: 3, maxBytes: 10_000 },
      };
      const here = new Uint8Array(16).fill(9);
      const there = new Uint8Array(16).fill(8);
      const from = (sender: number, address: Uint8Array) => ({
        ...envelope('bob'),
        senderTag: new Uint8Array(16).fill(sender),
        addressTag: address,
      });
      const flood = [from(1, here), from(1, here), from(2, here), from(3, here), from(4, here)];
      expect(await store.putMany(flood, q)).toEqual(['stored', 'stored', 'stored', 'mailbox_full', 'mailbox_full']);
      expect(await store.putMany([flood[0]!], q)).toEqual(['duplicate']); // a retry is still acknowledged
      expect(await store.putMany([from(5, there)], q)).toEqual(['stored']); // another address is not affected
      await store.remove('bob', [flood[0]!.id]);
      expect(await store.putMany([from(6, here), from(7, here)], q)).toEqual(['stored', 'mailbox_full']);
    });

    it('removes acknowledged envelopes, ignores unknown ids, and frees quota', async () => {
      const items = [envelope('bob'), envelope('bob'), envelope('bob')];
      await store.putMany(items, QUOTA);
      expect(await store.remove('bob', [items[0]!.id, new Uint8Array(16)])).toBe(1);
      expect(await store.remove('alice', [items[1]!.id])).toBe(0); // not alice's
      expect((await store.list('bob', 0, 10)).map((e) => bytes(e.id))).toEqual([
        bytes(items[1]!.id),
        bytes(items[2]!.id),
      ]);
      expect(await store.stats('bob')).toEqual({ count: 2, bytes: 200 });
      expect(await store.remove('bob', [])).toBe(0);
    });

    it('commit: removals first (freeing quota), then the puts, in one call', async () => {
      const q = { maxMessages: 2, maxBytes: 1_000 };
      const old = [envelope('bob'), envelope('bob')];
      expect(await store.putMany(old, q)).toEqual(['stored', 'stored']);
      const fresh = [envelope('bob'), envelope('bob'), envelope('nobody')];
      // Without the removal the mailbox would be full; the removal of one frees a place for exactly one.
      expect(
        await store.commit(
          [
            { recipient: 'bob', ids: [old[0]!.id] },
            { recipient: 'alice', ids: [old[1]!.id] },
          ],
          fresh,
          q,
        ),
      ).toEqual(['stored', 'mailbox_full', 'unknown_recipient']);
      expect((await store.list('bob', 0, 10)).map((e) => bytes(e.id))).toEqual([
        bytes(old[1]!.id),
        bytes(fresh[0]!.id),
      ]);
      expect(await store.commit([], [], q)).toEqual([]);
      expect(await store.commit([{ recipient: 'bob', ids: [old[1]!.id, fresh[0]!.id] }], [], q)).toEqual([]);
      expect(await store.stats('bob')).toEqual({ count: 0, bytes: 0 });
    });

    it('hasUser is true exactly for registered users', async () => {
      expect(await store.hasUser('alice')).toBe(true);
      expect(await store.hasUser('carol')).toBe(false);
      await store.registerUser(user('carol'));
      expect(await store.hasUser('carol')).toBe(true);
    });

    it('expires envelopes at their expiry time and not before', async () => {
      await store.putMany([envelope('bob', 10, 1000, 100), envelope('bob', 10, 1000, 500)], QUOTA);
      expect(await store.expire(1099)).toBe(0);
      expect(await store.expire(1100)).toBe(1);
      expect(await store.list('bob', 0, 10)).toHaveLength(1);
      expect((await store.stats('bob')).count).toBe(1);
    });

    it('keeps sequence numbers increasing after deletes', async () => {
      const [a, b] = [envelope('bob'), envelope('bob')];
      await store.putMany([a], QUOTA);
      const first = (await store.list('bob', 0, 1))[0]!.seq;
      await store.remove('bob', [a.id]);
      await store.putMany([b], QUOTA);
      expect((await store.list('bob', 0, 1))[0]!.seq).toBeGreaterThan(first);
    });

    if (reopen) {
      it('keeps users, envelopes and the relay id across a reopen', async () => {
        const items = [envelope('bob'), envelope('bob')];
        await store.putMany(items, QUOTA);
        const relayId = bytes(store.relayId);
        const alice = bytes((await store.getUser('alice'))!.identityPublicKey);
        store = await reopen(store);
        expect(bytes(store.relayId)).toBe(relayId);
        expect(bytes((await store.getUser('alice'))!.identityPublicKey)).toBe(alice);
        expect((await store.list('bob', 0, 10)).map((e) => bytes(e.id))).toEqual(items.map((i) => bytes(i.id)));
        expect(await store.stats('bob')).toEqual({ count: 2, bytes: 200 });
      });
    }

    if (sibling) {
      it('two writers on one mailbox at once: quota exact, each id stored once, order kept per writer', async () => {
        const other = await sibling(store);
        try {
          const q = { maxMessages: 30, maxBytes: 1_000_000 };
          const mine = Array.from({ length: 40 }, () => envelope('bob'));
          const theirs = Array.from({ length: 40 }, () => envelope('bob'));
          const shared = Array.from({ length: 10 }, () => envelope('alice'));
          // Each writer commits one batch after another (as a relay's commit queue does), both at once, and both
          // send the same ten ids to alice.
          const run = async (s: MailboxStore, items: EnvelopeInput[]) => {
            const out: PutResult[][] = [];
            for (let k = 0; k < items.length / 4; k++) {
              out.push(await s.commit([], [...items.slice(k * 4, k * 4 + 4), shared[k]!], q));
            }
            return out;
          };
          const [a, b] = await Promise.all([run(store, mine), run(other, theirs)]);
          const all = [...a.flat(), ...b.flat()];
          expect(all.filter((r) => r === 'stored')).toHaveLength(30 + 10);
          expect(await store.stats('bob')).toEqual({ count: 30, bytes: 3000 });
          expect(await other.stats('alice')).toEqual({ count: 10, bytes: 1000 });
          const listed = (await store.list('bob', 0, 100)).map((e) => bytes(e.id));
          expect(new Set(listed).size).toBe(30);
          // Each writer's envelopes are in the order it committed them.
          for (const items of [mine, theirs]) {
            const ids = items.map((i) => bytes(i.id)).filter((id) => listed.includes(id));
            expect(listed.filter((id) => ids.includes(id))).toEqual(ids);
          }
        } finally {
          await other.close();
        }
      });
    }
  });
}
