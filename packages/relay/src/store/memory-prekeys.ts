import type { PrekeyCaps, PrekeyCounts, PrekeyStore, PublishOutcome, StoredPrekey, TakenPrekeys } from './prekeys.js';

interface Owned {
  signed: Map<1 | 3, StoredPrekey>;
  /** One-time keys of type 2 and 4, each queue in upload order. */
  queues: Map<2 | 4, StoredPrekey[]>;
}

/**
 * A `PrekeyStore` in process memory, beside the memory mailbox store: it defines the contract by behaviour, like
 * `createMemoryStore`. `hasUser` says whether an owner's account exists.
 */
export function createMemoryPrekeyStore(hasUser: (owner: string) => Promise<boolean>): PrekeyStore {
  const owners = new Map<string, Owned>();
  const of = (owner: string): Owned => {
    let o = owners.get(owner);
    if (!o)
      owners.set(
        owner,
        (o = {
          signed: new Map(),
          queues: new Map([
            [2, []],
            [4, []],
          ]),
        }),
      );
    return o;
  };
  const counts = (owner: string): PrekeyCounts => {
    const o = owners.get(owner);
    const c: PrekeyCounts = { opk: o?.queues.get(2)?.length ?? 0, pqopk: o?.queues.get(4)?.length ?? 0 };
    const spk = o?.signed.get(1);
    const pqspk = o?.signed.get(3);
    if (spk) c.spkId = spk.keyId;
    if (pqspk) c.pqspkId = pqspk.keyId;
    return c;
  };
  const copy = (k: StoredPrekey): StoredPrekey => ({ ...k, key: new Uint8Array(k.key), sig: new Uint8Array(k.sig) });

  return {
    async publish(owner, entries, reset, caps: PrekeyCaps): Promise<PublishOutcome> {
      if (!(await hasUser(owner))) return 'unknown_owner';
      const o = of(owner);
      // Work on copies and swap them in only if the caps hold: the memory form of a rolled-back transaction.
      const signed = new Map(o.signed);
      const queues = new Map([...o.queues].map(([t, q]) => [t, reset ? [] : [...q]]));
      for (const e of entries) {
        if (e.type === 1 || e.type === 3) signed.set(e.type, copy(e));
        else {
          const q = queues.get(e.type)!;
          if (!q.some((k) => k.keyId === e.keyId)) q.push(copy(e));
        }
      }
      if (queues.get(2)!.length > caps.maxOpk || queues.get(4)!.length > caps.maxPqopk) return 'over_limit';
      o.signed = signed;
      o.queues = queues;
      return { counts: counts(owner) };
    },
    async take(owner, oneTime): Promise<TakenPrekeys | undefined> {
      const o = owners.get(owner);
      const spk = o?.signed.get(1);
      const pqspk = o?.signed.get(3);
      if (!o || !spk || !pqspk) return undefined;
      const opk = oneTime ? o.queues.get(2)!.shift() : undefined;
      const pqopk = oneTime ? o.queues.get(4)!.shift() : undefined;
      const c = counts(owner);
      return {
        spk: copy(spk),
        ...(opk ? { opk } : {}),
        pq: copy(pqopk ?? pqspk),
        left: { opk: c.opk, pqopk: c.pqopk },
      };
    },
    async counts(owner) {
      return counts(owner);
    },
    async remove(owner) {
      owners.delete(owner);
    },
  };
}
