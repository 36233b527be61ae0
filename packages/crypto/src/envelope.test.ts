/** Envelopes (PROTOCOL.md §4): layout, round trip, limits and argument errors. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { message, party, rawSigned, rawSignedMessage } from '../test/envelopes.js';
import { expectCryptoError } from '../test/helpers.js';
import {
  fromUtf8,
  MAX_BODY_BYTES,
  MAX_ENVELOPE_BYTES,
  MessageKind,
  openEnvelope,
  openSealed,
  reference,
  sealEnvelope,
  sealedBoxOpener,
  sealInner,
  signInner,
  toHex,
  utf8,
  verifyEnvelopeSignature,
} from './index.js';

const alice = party('alice');
const bob = party('bob');
const name = fc.stringMatching(/^[a-z][a-z0-9_-]{2,31}$/);

describe('sealEnvelope / openEnvelope', () => {
  it('opens the same with a batch opener (recipient.openBox) as without, and fails the same', () => {
    const openBox = sealedBoxOpener(bob.encryption.publicKey, bob.encryption.secretKey);
    const id = new Uint8Array(16).fill(7);
    const env = sealEnvelope(
      message({ from: 'alice', to: 'bob', id }),
      alice.identity.secretKey,
      bob.encryption.publicKey,
    );
    const plain = openEnvelope(env, { username: 'bob', encryption: bob.encryption }, id);
    const batched = openEnvelope(env, { username: 'bob', encryption: bob.encryption, openBox }, id);
    expect(toHex(batched.signedMessage)).toBe(toHex(plain.signedMessage));
    const altered = Uint8Array.from(env);
    altered[40] = (altered[40] ?? 0) ^ 1;
    expectCryptoError(
      () => openEnvelope(altered, { username: 'bob', encryption: bob.encryption, openBox }, id),
      'ENVELOPE_OPEN_FAILED',
    );
  });

  it('round-trips any valid message (fast-check)', () => {
    fc.assert(
      fc.property(
        name,
        name,
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.maxSafeNat(),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        (from, to, id, ts, text) => {
          const msg = { kind: MessageKind.text, from, to, id, ts, body: utf8(text) };
          const env = sealEnvelope(msg, alice.identity.secretKey, bob.encryption.publicKey);
          const opened = openEnvelope(env, { username: to, encryption: bob.encryption }, id);
          verifyEnvelopeSignature(opened, alice.identity.publicKey);
          expect({ ...opened, signature: undefined, signedMessage: undefined }).toEqual({
            ...msg,
            signature: undefined,
            signedMessage: undefined,
          });
          expect(fromUtf8(opened.body)).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('round-trips receipts (1..256 ids) and typing signals (0 or 1)', () => {
    const ids = (n: number) => new Uint8Array(n * 16).map((_, i) => i % 251);
    const cases = [
      { kind: MessageKind.delivered, body: ids(1) },
      { kind: MessageKind.read, body: ids(256) },
      { kind: MessageKind.typing, body: Uint8Array.of(1) },
      { kind: MessageKind.typing, body: Uint8Array.of(0) },
      { kind: MessageKind.resendRequest, body: ids(1) },
      { kind: MessageKind.resendRequest, body: ids(64) },
    ];
    for (const c of cases) {
      const msg = message(c);
      const env = sealEnvelope(msg, alice.identity.secretKey, bob.encryption.publicKey);
      const opened = openEnvelope(env, { username: 'bob', encryption: bob.encryption }, msg.id);
      verifyEnvelopeSignature(opened, alice.identity.publicKey);
      expect(opened.kind).toBe(c.kind);
      expect(toHex(opened.body)).toBe(toHex(c.body));
    }
  });

  it('writes exactly the §4 layout, signed over label ‖ recipient key ‖ signed', () => {
    const msg = message({ body: utf8('hi ☃') });
    const env = sealEnvelope(msg, alice.identity.secretKey, bob.encryption.publicKey);
    expect(env[0]).toBe(0x01);
    const inner = openSealed(env.subarray(1), bob.encryption.publicKey, bob.encryption.secretKey);
    const signed = rawSigned(msg);
    expect(toHex(inner.subarray(0, signed.length))).toBe(toHex(signed));
    expect(inner.length).toBe(signed.length + 64);
    const signedMessage = rawSignedMessage(bob.encryption.publicKey, signed);
    expect(reference.verify(inner.subarray(signed.length), signedMessage, alice.identity.publicKey)).toBe(true);
    const opened = openEnvelope(env, { username: 'bob', encryption: bob.encryption }, msg.id);
    expect(toHex(opened.signedMessage)).toBe(toHex(signedMessage));
    expect(env.length).toBe(1 + 48 + 1 + 1 + 5 + 1 + 3 + 16 + 8 + 4 + msg.body.length + 64);
  });

  it('signInner is deterministic (Ed25519) and is what sealEnvelope seals', () => {
    const msg = message();
    const a = signInner(msg, alice.identity.secretKey, bob.encryption.publicKey);
    expect(toHex(signInner(msg, alice.identity.secretKey, bob.encryption.publicKey))).toBe(toHex(a));
    const env = sealEnvelope(msg, alice.identity.secretKey, bob.encryption.publicKey);
    expect(toHex(openSealed(env.subarray(1), bob.encryption.publicKey, bob.encryption.secretKey))).toBe(toHex(a));
  });

  it(`accepts a ${MAX_BODY_BYTES}-byte body with the longest names, refuses one more byte with BODY_TOO_LARGE`, () => {
    const long = { from: 'a'.repeat(32), to: 'b'.repeat(32) };
    const body = new Uint8Array(MAX_BODY_BYTES).fill(0x61);
    const env = sealEnvelope(message({ ...long, body }), alice.identity.secretKey, bob.encryption.publicKey);
    expect(env.length).toBeLessThanOrEqual(MAX_ENVELOPE_BYTES);
    const big = new Uint8Array(MAX_BODY_BYTES + 1).fill(0x61);
    expectCryptoError(
      () => sealEnvelope(message({ body: big }), alice.identity.secretKey, bob.encryption.publicKey),
      'BODY_TOO_LARGE',
    );
  });

  it('seals and opens up to exactly MAX_ENVELOPE_BYTES; sealInner refuses more', () => {
    const inner = new Uint8Array(MAX_ENVELOPE_BYTES - 1 - 48).fill(1); // kind 1, then junk
    const env = sealInner(inner, bob.encryption.publicKey);
    expect(env).toHaveLength(MAX_ENVELOPE_BYTES);
    // Passes step 1 (size) and step 2 (open); fails only at step 3.
    const me = { username: 'bob', encryption: bob.encryption };
    expectCryptoError(() => openEnvelope(env, me, inner.subarray(0, 16)), 'ENVELOPE_MALFORMED');
    expect(() => sealInner(Uint8Array.from([...inner, 0]), bob.encryption.publicKey)).toThrow(RangeError);
  });

  it('refuses bad fields as programmer errors, before signing', () => {
    const sk = alice.identity.secretKey;
    const pk = bob.encryption.publicKey;
    const bad: [Partial<Parameters<typeof message>[0]>, RegExp][] = [
      [{ kind: 0x7f }, /kind/],
      [{ kind: 2, body: new Uint8Array(15) }, /receipt body/],
      [{ kind: 3, body: new Uint8Array(0) }, /receipt body/],
      [{ kind: 4, body: Uint8Array.of(7) }, /typing body/],
      // A resend request (§24.7): 1 to 64 ids of 16 bytes.
      [{ kind: MessageKind.resendRequest, body: new Uint8Array(0) }, /resend request body/],
      [{ kind: MessageKind.resendRequest, body: new Uint8Array(17) }, /resend request body/],
      [{ kind: MessageKind.resendRequest, body: new Uint8Array(65 * 16) }, /resend request body/],
      [{ from: 'Alice' }, /from/],
      [{ to: 'b' }, /to/],
      [{ id: new Uint8Array(15) }, /id to be 16 bytes, got 15/],
      [{ ts: -1 }, /ts/],
      [{ ts: 1.5 }, /ts/],
      [{ ts: 2 ** 53 }, /ts/],
      [{ ts: Number.NaN }, /ts/],
    ];
    for (const [over, why] of bad) {
      const seal = (): Uint8Array => sealEnvelope(message(over), sk, pk);
      expect(seal).toThrow(RangeError);
      expect(seal).toThrow(why);
    }
    expect(() => sealEnvelope(message({ body: Uint8Array.of(0xff) }), sk, pk)).toThrow(TypeError);
    expect(() => sealEnvelope(message({ ts: '1' as unknown as number }), sk, pk)).toThrow(TypeError);
    expect(() => sealEnvelope(message(), sk, pk.subarray(1))).toThrow(RangeError);
    expect(() => sealEnvelope(message(), sk.subarray(1), pk)).toThrow(RangeError);
    expectCryptoError(() => sealEnvelope(message(), sk, new Uint8Array(32)), 'LOW_ORDER_POINT');
  });

  it('openEnvelope refuses bad arguments as programmer errors', () => {
    const msg = message();
    const env = sealEnvelope(msg, alice.identity.secretKey, bob.encryption.publicKey);
    const me = { username: 'bob', encryption: bob.encryption };
    expect(() => openEnvelope(env, me, msg.id.subarray(1))).toThrow(RangeError);
    expect(() => openEnvelope(env, { ...me, username: 'Bob' }, msg.id)).toThrow(RangeError);
    expect(() => openEnvelope(env, { username: 'bob' } as typeof me, msg.id)).toThrow(TypeError);
    expect(() => openEnvelope([...env] as unknown as Uint8Array, me, msg.id)).toThrow(TypeError);
    expect(() => verifyEnvelopeSignature(openEnvelope(env, me, msg.id), new Uint8Array(31))).toThrow(RangeError);
  });
});
