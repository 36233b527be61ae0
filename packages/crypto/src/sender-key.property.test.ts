/**
 * Model-based property (fast-check, seeded by CHAT_TEST_SEED) of a sender key chain (PROTOCOL.md §25.5): random sends
 * with deliveries out of order, duplicates and losses, to two members. Every delivered message opens exactly once, to
 * what was sent, for each member; a second delivery is always GROUP_DUPLICATE and changes nothing; what is still in
 * flight at the end opens too; the stored chain survives serialization at every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError } from '../test/helpers.js';
import {
  deserializeReceivingSenderKey,
  distributionOf,
  fromUtf8,
  groupDecrypt,
  groupEncrypt,
  newSenderKey,
  parseGroupMessage,
  type ReceivingSenderKey,
  receivingSenderKey,
  serializeReceivingSenderKey,
  utf8,
} from './index.js';

type Action = { op: 'send' } | { op: 'deliver' | 'duplicate' | 'drop'; to: 0 | 1; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ op: 'send' as const }) },
  ...(['deliver', 'duplicate', 'drop'] as const).map((op) => ({
    weight: op === 'deliver' ? 4 : 1,
    arbitrary: fc.record({ op: fc.constant(op), to: fc.constantFrom<0 | 1>(0, 1), pick: fc.nat() }),
  })),
);

describe('sender key chain under random delivery (§25.5)', () => {
  it('every message opens exactly once per member, duplicates are refused, nothing is lost but what is dropped', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        const gid = new Uint8Array(16).fill(3);
        let key = newSenderKey();
        const chains: ReceivingSenderKey[] = [0, 1].map(() => receivingSenderKey(distributionOf(gid, key)));
        const inFlight: { text: string; message: Uint8Array }[][] = [[], []];
        const delivered: { text: string; message: Uint8Array }[][] = [[], []];
        let n = 0;
        const open = (to: 0 | 1, message: Uint8Array): string => {
          const r = groupDecrypt(chains[to]!, parseGroupMessage(message));
          chains[to] = deserializeReceivingSenderKey(serializeReceivingSenderKey(r.key));
          return fromUtf8(r.plaintext);
        };
        for (const a of actions) {
          if (a.op === 'send') {
            const text = `m${n++}`;
            const r = groupEncrypt(key, 'alice', gid, utf8(text));
            key = r.key;
            for (const q of inFlight) q.push({ text, message: r.message });
            continue;
          }
          const pool = a.op === 'duplicate' ? delivered[a.to]! : inFlight[a.to]!;
          if (pool.length === 0) continue;
          const i = a.pick % pool.length;
          const m = pool[i]!;
          if (a.op === 'drop') pool.splice(i, 1);
          else if (a.op === 'deliver') {
            pool.splice(i, 1);
            expect(open(a.to, m.message)).toBe(m.text);
            delivered[a.to]!.push(m);
          } else {
            const before = serializeReceivingSenderKey(chains[a.to]!);
            expectCryptoError(() => open(a.to, m.message), 'GROUP_DUPLICATE');
            expect(serializeReceivingSenderKey(chains[a.to]!)).toEqual(before);
          }
        }
        for (const to of [0, 1] as const) for (const m of inFlight[to]!) expect(open(to, m.message)).toBe(m.text);
      }),
      { numRuns: 100 },
    );
  });
});
