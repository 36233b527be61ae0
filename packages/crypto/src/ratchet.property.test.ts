/**
 * Model-based property (fast-check, seeded by CHAT_TEST_SEED): random interleavings of both parties' sends with
 * deliveries out of order, duplicates and losses. Every delivered message opens exactly once to what was sent, a
 * duplicate is always RATCHET_DUPLICATE, no (ratchet key, n) pair, hence no message key, is ever used twice, and
 * whatever is still in flight at the end opens too. (50 actions make at most 25 chains, so no side retires more
 * than MAX_RETIRED_CHAINS = 16 receiving keys and every duplicate is recognised as one.)
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError } from '../test/helpers.js';
import { newSession } from '../test/v2-session.js';
import {
  CryptoError,
  cloneRatchetState,
  fromUtf8,
  type RatchetState,
  ratchetDecrypt,
  ratchetDecryptInPlace,
  ratchetEncrypt,
  serializeRatchetState,
  toHex,
  utf8,
  wipeRatchetState,
} from './index.js';

type Side = 'a' | 'b';
type Action =
  | { op: 'send'; from: Side }
  | { op: 'deliver'; pick: number }
  | { op: 'duplicate'; pick: number }
  | { op: 'drop'; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('send' as const), from: fc.constantFrom<Side>('a', 'b') }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('deliver' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }) },
);

interface InFlight {
  to: Side;
  text: string;
  message: Uint8Array;
}

describe('Double Ratchet under random delivery (fast-check)', () => {
  it('every delivered message opens exactly once; duplicates are refused; no key is used twice', () => {
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 1, maxLength: 50 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (actions, tail) => {
          const s = newSession();
          const state: Record<Side, RatchetState> = { a: s.a, b: s.b };
          const inFlight: InFlight[] = [];
          const delivered: InFlight[] = [];
          const headers = new Set<string>();
          let count = 0;
          const deliver = (m: InFlight) => {
            const r = ratchetDecrypt(state[m.to], m.message);
            wipeRatchetState(state[m.to]);
            state[m.to] = r.state;
            expect(fromUtf8(r.plaintext)).toBe(m.text);
            delivered.push(m);
          };
          for (const act of actions) {
            if (act.op === 'send') {
              if (state[act.from].sendingChainKey === null) continue; // bob speaks once alice has
              const text = `${act.from}${count++}`;
              const r = ratchetEncrypt(state[act.from], utf8(text));
              wipeRatchetState(state[act.from]);
              state[act.from] = r.state;
              const header = toHex(r.message.subarray(0, 40));
              expect(headers.has(header)).toBe(false);
              headers.add(header);
              inFlight.push({ to: act.from === 'a' ? 'b' : 'a', text, message: r.message });
            } else if (act.op === 'deliver' && inFlight.length > 0) {
              deliver(inFlight.splice(act.pick % inFlight.length, 1)[0] as InFlight);
            } else if (act.op === 'drop' && inFlight.length > 0) {
              inFlight.splice(act.pick % inFlight.length, 1);
            } else if (act.op === 'duplicate' && delivered.length > 0) {
              const m = delivered[act.pick % delivered.length] as InFlight;
              expectCryptoError(() => ratchetDecrypt(state[m.to], m.message), 'RATCHET_DUPLICATE');
            }
          }
          // Whatever is still in flight arrives late, in a random order, and opens.
          for (const k of tail)
            if (inFlight.length > 0) deliver(inFlight.splice(k % inFlight.length, 1)[0] as InFlight);
          while (inFlight.length > 0) deliver(inFlight.shift() as InFlight);
          for (const m of delivered)
            expectCryptoError(() => ratchetDecrypt(state[m.to], m.message), 'RATCHET_DUPLICATE');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('ratchetDecryptInPlace moves the state exactly as ratchetDecrypt does, and leaves it unchanged on failure', () => {
    /** Deliveries that took the in-place fast path (the state's root key kept, not copied): the test must reach it. */
    let fast = 0;
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 50 }), (actions) => {
        const s = newSession();
        const state: Record<Side, RatchetState> = { a: s.a, b: s.b };
        const inFlight: InFlight[] = [];
        const delivered: InFlight[] = [];
        let count = 0;
        // Both decrypt the same message from equal states; a DH ratchet step takes the same fresh key in both.
        const both = (m: InFlight, offset: number): { plaintext: Uint8Array } | { error: unknown } => {
          // Sometimes as a Buffer view at an offset into a larger one, as a Buffer from a socket or a pool would be.
          const message = offset === 0 ? m.message : Buffer.concat([Buffer.alloc(offset), m.message]).subarray(offset);
          const secret = randomBytes(32);
          const random = () => new Uint8Array(secret);
          const before = toHex(serializeRatchetState(state[m.to]));
          const copy = cloneRatchetState(state[m.to]);
          let expected: { state: RatchetState; plaintext: Uint8Array } | undefined;
          let expectedError: unknown;
          try {
            expected = ratchetDecrypt(copy, message, random);
          } catch (e) {
            expectedError = e;
          }
          const rootKey = state[m.to].rootKey;
          try {
            const plaintext = ratchetDecryptInPlace(state[m.to], message, random);
            if (state[m.to].rootKey === rootKey) fast++;
            expect(expected, 'in place opened what ratchetDecrypt refused').toBeDefined();
            expect(toHex(plaintext)).toBe(toHex(expected!.plaintext));
            expect(toHex(serializeRatchetState(state[m.to]))).toBe(toHex(serializeRatchetState(expected!.state)));
            return { plaintext };
          } catch (e) {
            expect(e).toBeInstanceOf(CryptoError);
            expect((e as CryptoError).code).toBe((expectedError as CryptoError | undefined)?.code);
            expect(toHex(serializeRatchetState(state[m.to]))).toBe(before);
            return { error: e };
          }
        };
        for (const act of actions) {
          if (act.op === 'send') {
            if (state[act.from].sendingChainKey === null) continue;
            const text = `${act.from}${count++}`;
            const r = ratchetEncrypt(state[act.from], utf8(text));
            wipeRatchetState(state[act.from]);
            state[act.from] = r.state;
            inFlight.push({ to: act.from === 'a' ? 'b' : 'a', text, message: r.message });
          } else if (act.op === 'deliver' && inFlight.length > 0) {
            const m = inFlight.splice(act.pick % inFlight.length, 1)[0] as InFlight;
            const r = both(m, act.pick % 3 === 0 ? 0 : act.pick % 17);
            if ('plaintext' in r) expect(fromUtf8(r.plaintext)).toBe(m.text);
            else expect.unreachable(`message ${m.text} did not open: ${String(r.error)}`);
            delivered.push(m);
          } else if (act.op === 'drop' && inFlight.length > 0) {
            // Damaged instead of lost: a flipped byte in the body, the tag or the header.
            const m = inFlight[act.pick % inFlight.length] as InFlight;
            expect('error' in both({ ...m, message: flipAt(m.message, act.pick) }, act.pick % 5)).toBe(true);
          } else if (act.op === 'duplicate' && delivered.length > 0) {
            const r = both(delivered[act.pick % delivered.length] as InFlight, act.pick % 7);
            expect('error' in r && (r.error as CryptoError).code).toBe('RATCHET_DUPLICATE');
          }
        }
      }),
      { numRuns: 150 },
    );
    expect(fast).toBeGreaterThan(0);
  });

  it('damaged or random messages only ever give typed errors and leave the state unchanged', () => {
    const s = newSession();
    const first = ratchetEncrypt(s.a, utf8('first'));
    const b = ratchetDecrypt(s.b, first.message).state;
    const reply = ratchetEncrypt(b, utf8('reply')).message;
    const next = ratchetEncrypt(first.state, utf8('next')).message;
    const before = toHex(serializeRatchetState(b));
    const damaged = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.constantFrom(next, reply), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([m, at, x]) => {
        const out = new Uint8Array(m);
        out[at % out.length] = (out[at % out.length] as number) ^ x;
        return out;
      }),
      fc.tuple(fc.constantFrom(next, reply), fc.nat()).map(([m, n]) => m.subarray(0, n % m.length)),
    );
    fc.assert(
      fc.property(damaged, (m) => {
        for (const decrypt of [() => ratchetDecrypt(b, m), () => ratchetDecryptInPlace(b, m)]) {
          try {
            decrypt();
            expect.unreachable('a damaged message opened');
          } catch (e) {
            expect(e).toBeInstanceOf(CryptoError);
          }
          expect(toHex(serializeRatchetState(b))).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
    expect(fromUtf8(ratchetDecrypt(b, next).plaintext)).toBe('next');
  });
});

/** `message` with one byte (chosen by `pick`) changed. */
function flipAt(message: Uint8Array, pick: number): Uint8Array {
  const out = new Uint8Array(message);
  const at = pick % out.length;
  out[at] = (out[at] as number) ^ (1 + (pick % 255));
  return out;
}
