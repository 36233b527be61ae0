import { describe, expect, it } from 'vitest';
import type { PrekeyTypeByte } from '@chat/protocol';
import type { PrekeyStore, StoredPrekey } from './prekeys.js';

/** One engine's prekey store on fresh data, with what the contract needs around it. */
export interface PrekeyFixture {
  prekeys: PrekeyStore;
  /** A second handle on the same data: another connection (SQLite), another relay's pool (PostgreSQL). */
  other(): Promise<PrekeyStore>;
  register(username: string): Promise<void>;
  /** Deletes the account the way the relay does (AccountStore.deleteUser where the engine has one). */
  deleteAccount(username: string): Promise<void>;
  close(): Promise<void>;
}

/** A prekey with recognisable bytes: the store never looks inside (the session checked it, §23.3). */
export function prekey(type: PrekeyTypeByte, keyId: number): StoredPrekey {
  const key = new Uint8Array(type === 1 || type === 2 ? 32 : 1184).fill(type * 16 + (keyId % 16));
  return { type, keyId, key, sig: new Uint8Array(64).fill(keyId % 256) };
}

const caps = { maxOpk: 200, maxPqopk: 50 };
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const signed = [prekey(1, 1), prekey(3, 1)];

/** The contract of `PrekeyStore` (PROTOCOL.md §23.3, §23.4) that every engine meets. */
export function describePrekeyStore(name: string, fresh: () => Promise<PrekeyFixture>): void {
  describe(`PrekeyStore contract: ${name}`, () => {
    it('hands out the signed keys and the oldest one-time key of each kind, deleting those', async () => {
      const f = await fresh();
      await f.register('bob');
      const batch = [...signed, ...range(10, 3).map((i) => prekey(2, i)), ...range(20, 2).map((i) => prekey(4, i))];
      expect(await f.prekeys.publish('bob', batch, false, caps)).toEqual({
        counts: { opk: 3, pqopk: 2, spkId: 1, pqspkId: 1 },
      });
      const got = await f.prekeys.take('bob', true);
      expect(got).toEqual({ spk: signed[0], opk: prekey(2, 10), pq: prekey(4, 20), left: { opk: 2, pqopk: 1 } });
      expect((await f.prekeys.take('bob', true))?.opk?.keyId).toBe(11);
      expect(await f.prekeys.counts('bob')).toEqual({ opk: 1, pqopk: 0, spkId: 1, pqspkId: 1 });
      await f.close();
    });

    it('falls back to the last-resort ML-KEM key, and hands out no X25519 one-time key, once they run out', async () => {
      const f = await fresh();
      await f.register('bob');
      await f.prekeys.publish('bob', [...signed, prekey(2, 5), prekey(4, 6)], false, caps);
      expect(await f.prekeys.take('bob', true)).toMatchObject({ opk: { keyId: 5 }, pq: { type: 4, keyId: 6 } });
      const last = await f.prekeys.take('bob', true);
      expect(last).toEqual({ spk: signed[0], pq: signed[1], left: { opk: 0, pqopk: 0 } });
      expect(await f.prekeys.take('bob', true)).toEqual(last); // the last-resort key serves everyone
      await f.close();
    });

    it('without oneTime consumes nothing', async () => {
      const f = await fresh();
      await f.register('bob');
      await f.prekeys.publish('bob', [...signed, prekey(2, 5), prekey(4, 6)], false, caps);
      expect(await f.prekeys.take('bob', false)).toEqual({
        spk: signed[0],
        pq: signed[1],
        left: { opk: 1, pqopk: 1 },
      });
      expect(await f.prekeys.counts('bob')).toMatchObject({ opk: 1, pqopk: 1 });
      await f.close();
    });

    it('gives nothing, and consumes nothing, while the SPK or the PQSPK is missing', async () => {
      const f = await fresh();
      await f.register('bob');
      expect(await f.prekeys.take('bob', true)).toBeUndefined();
      expect(await f.prekeys.take('nobody', true)).toBeUndefined();
      await f.prekeys.publish('bob', [prekey(1, 1), prekey(2, 5)], false, caps);
      expect(await f.prekeys.take('bob', true)).toBeUndefined();
      expect(await f.prekeys.counts('bob')).toEqual({ opk: 1, pqopk: 0, spkId: 1 });
      await f.close();
    });

    it('a republished signed prekey replaces the old one, whatever its id', async () => {
      const f = await fresh();
      await f.register('bob');
      await f.prekeys.publish('bob', signed, false, caps);
      const next = [prekey(1, 2), prekey(3, 7)];
      expect(await f.prekeys.publish('bob', next, false, caps)).toEqual({
        counts: { opk: 0, pqopk: 0, spkId: 2, pqspkId: 7 },
      });
      expect(await f.prekeys.take('bob', true)).toEqual({ spk: next[0], pq: next[1], left: { opk: 0, pqopk: 0 } });
      await f.close();
    });

    it('enforces the caps: an over-limit batch stores nothing, signed keys included', async () => {
      const f = await fresh();
      await f.register('bob');
      const small = { maxOpk: 4, maxPqopk: 2 };
      await f.prekeys.publish('bob', [...signed, ...range(0, 3).map((i) => prekey(2, i))], false, small);
      const over = [prekey(1, 9), ...range(3, 2).map((i) => prekey(2, i))];
      expect(await f.prekeys.publish('bob', over, false, small)).toBe('over_limit');
      expect(
        await f.prekeys.publish(
          'bob',
          range(0, 3).map((i) => prekey(4, i)),
          false,
          small,
        ),
      ).toBe('over_limit');
      expect(await f.prekeys.counts('bob')).toEqual({ opk: 3, pqopk: 0, spkId: 1, pqspkId: 1 });
      expect(await f.prekeys.publish('bob', [prekey(2, 3)], false, small)).toMatchObject({ counts: { opk: 4 } });
      await f.close();
    });

    it('skips a one-time key whose (type, id) is stored: a retried batch stores nothing twice', async () => {
      const f = await fresh();
      await f.register('bob');
      const batch = [...signed, ...range(0, 3).map((i) => prekey(2, i)), prekey(4, 0)];
      await f.prekeys.publish('bob', batch, false, caps);
      const other = { ...prekey(2, 1), key: new Uint8Array(32).fill(0xee) };
      expect(await f.prekeys.publish('bob', [...batch, other], false, caps)).toEqual({
        counts: { opk: 3, pqopk: 1, spkId: 1, pqspkId: 1 },
      });
      await f.prekeys.take('bob', true);
      expect((await f.prekeys.take('bob', true))?.opk).toEqual(prekey(2, 1)); // the first key under id 1 stayed
      await f.close();
    });

    it('reset deletes every one-time key first, and keeps the signed keys', async () => {
      const f = await fresh();
      await f.register('bob');
      await f.prekeys.publish('bob', [...signed, prekey(2, 1), prekey(2, 2), prekey(4, 1)], false, caps);
      expect(await f.prekeys.publish('bob', [prekey(2, 9)], true, caps)).toEqual({
        counts: { opk: 1, pqopk: 0, spkId: 1, pqspkId: 1 },
      });
      expect((await f.prekeys.take('bob', true))?.opk?.keyId).toBe(9);
      await f.close();
    });

    it('refuses an owner without an account; account deletion takes its prekeys along', async () => {
      const f = await fresh();
      expect(await f.prekeys.publish('ghost', signed, false, caps)).toBe('unknown_owner');
      await f.register('bob');
      await f.prekeys.publish('bob', [...signed, prekey(2, 1)], false, caps);
      await f.deleteAccount('bob');
      await f.register('bob');
      expect(await f.prekeys.take('bob', true)).toBeUndefined();
      expect(await f.prekeys.counts('bob')).toEqual({ opk: 0, pqopk: 0 });
      await f.prekeys.publish('bob', [...signed, prekey(2, 1)], false, caps);
      await f.prekeys.remove('bob');
      expect(await f.prekeys.counts('bob')).toEqual({ opk: 0, pqopk: 0 });
      await f.close();
    });

    it('two concurrent fetchers never receive the same one-time key', async () => {
      const f = await fresh();
      await f.register('bob');
      const opks = range(100, 30).map((i) => prekey(2, i));
      const pqopks = range(200, 10).map((i) => prekey(4, i));
      await f.prekeys.publish('bob', [...signed, ...opks, ...pqopks], false, caps);
      const second = await f.other();
      const takes = await Promise.all(range(0, 40).map((i) => (i % 2 ? f.prekeys : second).take('bob', true)));
      const opkIds = takes.flatMap((t) => (t?.opk ? [t.opk.keyId] : []));
      const pqIds = takes.flatMap((t) => (t?.pq.type === 4 ? [t.pq.keyId] : []));
      expect(opkIds.sort((a, b) => a - b)).toEqual(range(100, 30));
      expect(pqIds.sort((a, b) => a - b)).toEqual(range(200, 10));
      expect(takes.filter((t) => t?.pq.type === 3)).toHaveLength(30);
      expect(await f.prekeys.counts('bob')).toMatchObject({ opk: 0, pqopk: 0 });
      await f.close();
    });
  });
}
