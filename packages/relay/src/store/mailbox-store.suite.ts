import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvelopeInput, MailboxQuota, MailboxStore, UserRecord } from './mailbox-store.js';

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
 * engine is durable, closes the given store and opens the same data again.
 */
export function describeMailboxStore(
  name: string,
  open: () => MailboxStore,
  reopen?: (store: MailboxStore) => MailboxStore,
): void {
  describe(`MailboxStore contract: ${name}`, () => {
    let store: MailboxStore;
    beforeEach(() => {
      store = open();
      store.registerUser(user('alice'));
      store.registerUser(user('bob'));
    });
    afterEach(() => store.close());

    it('has a 32-byte relay id', () => {
      expect(store.relayId).toHaveLength(32);
    });

    it('registers a user once and keeps the first bundle', () => {
      const first = store.getUser('alice')!;
      const again = store.registerUser(user('alice', 99));
      expect(again.created).toBe(false);
      expect(bytes(again.user.identityPublicKey)).toBe(bytes(first.identityPublicKey));
      expect(store.getUser('carol')).toBeUndefined();
      const carol = user('carol');
      expect(store.registerUser(carol).created).toBe(true);
      const got = store.getUser('carol')!;
      expect(bytes(got.identityPublicKey)).toBe(bytes(carol.identityPublicKey));
      expect(bytes(got.encryptionPublicKey)).toBe(bytes(carol.encryptionPublicKey));
      expect(bytes(got.bundleSignature)).toBe(bytes(carol.bundleSignature));
    });

    it('stores, lists in order, and pages with afterSeq', () => {
      const items = Array.from({ length: 5 }, () => envelope('bob'));
      expect(store.putMany(items, QUOTA)).toEqual(Array(5).fill('stored'));
      const all = store.list('bob', 0, 100);
      expect(all.map((e) => bytes(e.id))).toEqual(items.map((i) => bytes(i.id)));
      expect(bytes(all[2]!.envelope)).toBe(bytes(items[2]!.envelope));
      const page = store.list('bob', all[1]!.seq, 2);
      expect(page.map((e) => bytes(e.id))).toEqual([bytes(items[2]!.id), bytes(items[3]!.id)]);
      expect(store.list('alice', 0, 100)).toEqual([]);
    });

    it('treats the same recipient and id as a duplicate, even within one batch', () => {
      const e = envelope('bob');
      expect(store.putMany([e, { ...e }], QUOTA)).toEqual(['stored', 'duplicate']);
      expect(store.putMany([e], QUOTA)).toEqual(['duplicate']);
      expect(store.list('bob', 0, 10)).toHaveLength(1);
      // the same id for another recipient is a different envelope
      expect(store.putMany([{ ...e, recipient: 'alice' }], QUOTA)).toEqual(['stored']);
    });

    it('refuses unknown recipients', () => {
      expect(store.putMany([envelope('nobody')], QUOTA)).toEqual(['unknown_recipient']);
    });

    it('enforces the message and byte quotas and counts within a batch', () => {
      const q = { maxMessages: 3, maxBytes: 1_000 };
      expect(store.putMany([envelope('bob'), envelope('bob'), envelope('bob'), envelope('bob')], q)).toEqual([
        'stored',
        'stored',
        'stored',
        'mailbox_full',
      ]);
      expect(store.stats('bob')).toEqual({ count: 3, bytes: 300 });
      const qb = { maxMessages: 100, maxBytes: 250 };
      expect(store.putMany([envelope('alice', 200), envelope('alice', 51), envelope('alice', 50)], qb)).toEqual([
        'stored',
        'mailbox_full',
        'stored',
      ]);
    });

    it('limits what one sender tag holds of a mailbox, by count and bytes; removal frees the share', () => {
      const q: MailboxQuota = { maxMessages: 100, maxBytes: 100_000, perSender: { maxMessages: 2, maxBytes: 250 } };
      const m = new Uint8Array(16).fill(1);
      const a = new Uint8Array(16).fill(2);
      const from = (tag: Uint8Array, size = 100) => ({ ...envelope('bob', size), senderTag: tag });
      const first = [from(m), from(m)];
      expect(store.putMany([...first, from(m), from(a), { ...envelope('bob') }], q)).toEqual([
        'stored',
        'stored',
        'mailbox_full',
        'stored',
        'stored',
      ]);
      expect(store.putMany([first[0]!], q)).toEqual(['duplicate']); // a retry is still acknowledged
      expect(store.putMany([from(m, 100)], { ...q, perSender: undefined })).toEqual(['stored']); // no limit asked for
      store.remove('bob', [first[0]!.id, first[1]!.id]); // m now holds the one stored without a limit
      expect(store.putMany([from(m), from(m)], q)).toEqual(['stored', 'mailbox_full']);
      const c = new Uint8Array(16).fill(3);
      expect(store.putMany([from(c, 200), from(c, 100)], q)).toEqual(['stored', 'mailbox_full']); // 300 > 250 bytes
    });

    it('limits what one address tag holds of a mailbox across sender tags; removal frees the share', () => {
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
      expect(store.putMany(flood, q)).toEqual(['stored', 'stored', 'stored', 'mailbox_full', 'mailbox_full']);
      expect(store.putMany([flood[0]!], q)).toEqual(['duplicate']); // a retry is still acknowledged
      expect(store.putMany([from(5, there)], q)).toEqual(['stored']); // another address is not affected
      store.remove('bob', [flood[0]!.id]);
      expect(store.putMany([from(6, here), from(7, here)], q)).toEqual(['stored', 'mailbox_full']);
    });

    it('removes acknowledged envelopes, ignores unknown ids, and frees quota', () => {
      const items = [envelope('bob'), envelope('bob'), envelope('bob')];
      store.putMany(items, QUOTA);
      expect(store.remove('bob', [items[0]!.id, new Uint8Array(16)])).toBe(1);
      expect(store.remove('alice', [items[1]!.id])).toBe(0); // not alice's
      expect(store.list('bob', 0, 10).map((e) => bytes(e.id))).toEqual([bytes(items[1]!.id), bytes(items[2]!.id)]);
      expect(store.stats('bob')).toEqual({ count: 2, bytes: 200 });
      expect(store.remove('bob', [])).toBe(0);
    });

    it('commit: removals first (freeing quota), then the puts, in one call', () => {
      const q = { maxMessages: 2, maxBytes: 1_000 };
      const old = [envelope('bob'), envelope('bob')];
      expect(store.putMany(old, q)).toEqual(['stored', 'stored']);
      const fresh = [envelope('bob'), envelope('bob'), envelope('nobody')];
      // Without the removal the mailbox would be full; the removal of one frees a place for exactly one.
      expect(
        store.commit(
          [
            { recipient: 'bob', ids: [old[0]!.id] },
            { recipient: 'alice', ids: [old[1]!.id] },
          ],
          fresh,
          q,
        ),
      ).toEqual(['stored', 'mailbox_full', 'unknown_recipient']);
      expect(store.list('bob', 0, 10).map((e) => bytes(e.id))).toEqual([bytes(old[1]!.id), bytes(fresh[0]!.id)]);
      expect(store.commit([], [], q)).toEqual([]);
      expect(store.commit([{ recipient: 'bob', ids: [old[1]!.id, fresh[0]!.id] }], [], q)).toEqual([]);
      expect(store.stats('bob')).toEqual({ count: 0, bytes: 0 });
    });

    it('hasUser is true exactly for registered users', () => {
      expect(store.hasUser('alice')).toBe(true);
      expect(store.hasUser('carol')).toBe(false);
      store.registerUser(user('carol'));
      expect(store.hasUser('carol')).toBe(true);
    });

    it('expires envelopes at their expiry time and not before', () => {
      store.putMany([envelope('bob', 10, 1000, 100), envelope('bob', 10, 1000, 500)], QUOTA);
      expect(store.expire(1099)).toBe(0);
      expect(store.expire(1100)).toBe(1);
      expect(store.list('bob', 0, 10)).toHaveLength(1);
      expect(store.stats('bob').count).toBe(1);
    });

    it('keeps sequence numbers increasing after deletes', () => {
      const [a, b] = [envelope('bob'), envelope('bob')];
      store.putMany([a], QUOTA);
      const first = store.list('bob', 0, 1)[0]!.seq;
      store.remove('bob', [a.id]);
      store.putMany([b], QUOTA);
      expect(store.list('bob', 0, 1)[0]!.seq).toBeGreaterThan(first);
    });

    if (reopen) {
      it('keeps users, envelopes and the relay id across a reopen', () => {
        const items = [envelope('bob'), envelope('bob')];
        store.putMany(items, QUOTA);
        const relayId = bytes(store.relayId);
        const alice = bytes(store.getUser('alice')!.identityPublicKey);
        store = reopen(store);
        expect(bytes(store.relayId)).toBe(relayId);
        expect(bytes(store.getUser('alice')!.identityPublicKey)).toBe(alice);
        expect(store.list('bob', 0, 10).map((e) => bytes(e.id))).toEqual(items.map((i) => bytes(i.id)));
        expect(store.stats('bob')).toEqual({ count: 2, bytes: 200 });
      });
    }
  });
}
