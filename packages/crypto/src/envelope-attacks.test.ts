/**
 * Envelopes under attack (PROTOCOL.md §4): every tampering, truncation, misaddressing, forwarding and junk input
 * must end in a typed CryptoError, each at its step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { message, party, rawSigned } from '../test/envelopes.js';
import { cat, expectCryptoError, flip } from '../test/helpers.js';
import {
  CryptoError,
  MAX_ENVELOPE_BYTES,
  openEnvelope,
  randomMessageId,
  sealEnvelope,
  sealInner,
  sign,
  signInner,
  verifyEnvelopeSignature,
  type OpenedEnvelope,
} from './index.js';

const alice = party('alice');
const bob = party('bob');
const carol = party('carol');
const bobBox = { username: 'bob', encryption: bob.encryption };
const carolBox = { username: 'carol', encryption: carol.encryption };

/** Opens and verifies as a client would; returns the error code, or 'ok'. */
function receive(env: Uint8Array, me: typeof bobBox, id: Uint8Array, sender = alice.identity.publicKey): string {
  try {
    verifyEnvelopeSignature(openEnvelope(env, me, id), sender);
    return 'ok';
  } catch (e) {
    if (e instanceof CryptoError) return e.code;
    throw e;
  }
}

describe('tampering', () => {
  const msg = message();
  const env = sealEnvelope(msg, alice.identity.secretKey, bob.encryption.publicKey);

  it('the untouched envelope is received', () => {
    expect(receive(env, bobBox, msg.id)).toBe('ok');
  });

  it('flipping any single byte, any bit, fails with a typed error', () => {
    for (let i = 0; i < env.length; i++) {
      for (const mask of [0x01, 0x80]) {
        expect(receive(flip(env, i, mask), bobBox, msg.id), `byte ${i} ^ ${mask}`).toBe(
          i === 0 ? 'ENVELOPE_MALFORMED' : 'ENVELOPE_OPEN_FAILED',
        );
      }
    }
  });

  it('every truncation fails, and so do trailing bytes', () => {
    expect(receive(env.subarray(0, 0), bobBox, msg.id)).toBe('ENVELOPE_MALFORMED');
    for (let n = 1; n < env.length; n++)
      expect(receive(env.subarray(0, n), bobBox, msg.id)).toBe('ENVELOPE_OPEN_FAILED');
    expect(receive(cat(env, Uint8Array.of(0)), bobBox, msg.id)).toBe('ENVELOPE_OPEN_FAILED');
  });

  it('an unknown version byte or an oversized envelope is ENVELOPE_MALFORMED (step 1, before opening)', () => {
    for (const v of [0x00, 0x02, 0xff]) {
      const other = env.slice();
      other[0] = v;
      expect(receive(other, bobBox, msg.id)).toBe('ENVELOPE_MALFORMED');
    }
    const huge = new Uint8Array(MAX_ENVELOPE_BYTES + 1);
    huge[0] = 1;
    expect(receive(huge, bobBox, msg.id)).toBe('ENVELOPE_MALFORMED');
  });

  it('the wrong recipient key cannot open it', () => {
    expect(receive(env, { username: 'bob', encryption: carol.encryption }, msg.id)).toBe('ENVELOPE_OPEN_FAILED');
  });

  it('a relay delivering it under another id is ENVELOPE_ID_MISMATCH', () => {
    expect(receive(env, bobBox, randomMessageId())).toBe('ENVELOPE_ID_MISMATCH');
    expect(receive(env, bobBox, flip(msg.id, 15))).toBe('ENVELOPE_ID_MISMATCH');
  });

  it('a signature by anyone but the pinned sender is ENVELOPE_BAD_SIGNATURE', () => {
    const mallory = party('mallory');
    const forged = sealEnvelope(message({ id: msg.id }), mallory.identity.secretKey, bob.encryption.publicKey);
    expect(receive(forged, bobBox, msg.id)).toBe('ENVELOPE_BAD_SIGNATURE');
  });

  it('fields edited after opening no longer verify', () => {
    const edits: ((o: OpenedEnvelope) => OpenedEnvelope)[] = [
      (o) => ({ ...o, body: new TextEncoder().encode('hello, eve') }),
      (o) => ({ ...o, from: 'mallory' }),
      (o) => ({ ...o, ts: o.ts + 1 }),
      (o) => ({ ...o, id: flip(o.id, 0) }),
      (o) => ({ ...o, kind: 3 }),
      (o) => ({ ...o, signedMessage: flip(o.signedMessage, 12) }), // the signed recipient key
    ];
    for (const edit of edits) {
      const opened = edit(openEnvelope(env, bobBox, msg.id));
      expectCryptoError(() => verifyEnvelopeSignature(opened, alice.identity.publicKey), 'ENVELOPE_BAD_SIGNATURE');
    }
  });
});

describe('misaddressing and surreptitious forwarding', () => {
  it('a validly signed inner for bob, sealed to carol, is ENVELOPE_MISADDRESSED for carol', () => {
    const msg = message({ to: 'bob' });
    const inner = signInner(msg, alice.identity.secretKey, carol.encryption.publicKey);
    expect(receive(sealInner(inner, carol.encryption.publicKey), carolBox, msg.id)).toBe('ENVELOPE_MISADDRESSED');
  });

  it("bob re-sealing alice's message to carol: MISADDRESSED as is, BAD_SIGNATURE with to = carol", () => {
    const msg = message({ to: 'bob', body: new TextEncoder().encode('I owe you 100') });
    const env = sealEnvelope(msg, alice.identity.secretKey, bob.encryption.publicKey);
    const opened = openEnvelope(env, bobBox, msg.id);
    verifyEnvelopeSignature(opened, alice.identity.publicKey);
    const signed = opened.signedMessage.subarray('chat/v1/msg\0'.length + 32);
    // Forward unchanged: carol sees it is not hers.
    const asIs = sealInner(cat(signed, opened.signature), carol.encryption.publicKey);
    expect(receive(asIs, carolBox, msg.id)).toBe('ENVELOPE_MISADDRESSED');
    // Re-address to carol, keeping alice's signature: the signature covered to = bob and bob's key.
    const readdressed = cat(rawSigned({ ...opened, to: 'carol' }), opened.signature);
    expect(receive(sealInner(readdressed, carol.encryption.publicKey), carolBox, msg.id)).toBe(
      'ENVELOPE_BAD_SIGNATURE',
    );
  });

  it("carol's key is bound too: an inner signed for bob's key fails for carol even if to = carol", () => {
    const msg = message({ to: 'carol' });
    const inner = signInner(msg, alice.identity.secretKey, bob.encryption.publicKey); // signed for bob's key
    expect(receive(sealInner(inner, carol.encryption.publicKey), carolBox, msg.id)).toBe('ENVELOPE_BAD_SIGNATURE');
  });
});

describe('malformed inners (step 3)', () => {
  const id = randomMessageId();
  const good = { kind: 1, from: 'alice', to: 'bob', id, ts: 1n, body: Uint8Array.of(0x68, 0x69) };
  const sig = new Uint8Array(64);
  const cases: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    'unknown kind': cat(rawSigned({ ...good, kind: 0x7f }), sig),
    'kind 0xff': cat(rawSigned({ ...good, kind: 0xff }), sig),
    'delivered receipt with an empty body': cat(rawSigned({ ...good, kind: 2, body: new Uint8Array(0) }), sig),
    'read receipt of 17 bytes (not whole ids)': cat(rawSigned({ ...good, kind: 3, body: new Uint8Array(17) }), sig),
    'receipt of 257 ids': cat(rawSigned({ ...good, kind: 2, body: new Uint8Array(257 * 16) }), sig),
    'typing with an empty body': cat(rawSigned({ ...good, kind: 4, body: new Uint8Array(0) }), sig),
    'typing with body byte 2': cat(rawSigned({ ...good, kind: 4, body: Uint8Array.of(2) }), sig),
    'typing with two bytes': cat(rawSigned({ ...good, kind: 4, body: Uint8Array.of(1, 1) }), sig),
    'kind 0': cat(rawSigned({ ...good, kind: 0 }), sig),
    'invalid from': cat(rawSigned({ ...good, from: 'Alice' }), sig),
    'non-ASCII to': cat(rawSigned({ ...good, to: 'b\u00e9b' }), sig),
    'short to': cat(rawSigned({ ...good, to: 'bo' }), sig),
    'ts above 2^53 - 1': cat(rawSigned({ ...good, ts: 2n ** 53n }), sig),
    'body_len past the end': cat(rawSigned({ ...good, bodyLen: 1000 }), sig),
    'body not UTF-8': cat(rawSigned({ ...good, body: Uint8Array.of(0xc3, 0x28) }), sig),
    'signature 63 bytes': cat(rawSigned(good), sig.subarray(1)),
    'trailing byte': cat(rawSigned(good), sig, Uint8Array.of(0)),
    'len8(from) past the end': Uint8Array.of(1, 200, 0x61),
  };
  for (const [what, inner] of Object.entries(cases)) {
    it(`${what} is ENVELOPE_MALFORMED`, () => {
      expect(receive(sealInner(inner, bob.encryption.publicKey), bobBox, id)).toBe('ENVELOPE_MALFORMED');
    });
  }

  it('the control case parses (and then fails only its signature)', () => {
    const inner = cat(rawSigned(good), sig);
    expect(receive(sealInner(inner, bob.encryption.publicKey), bobBox, id)).toBe('ENVELOPE_BAD_SIGNATURE');
    const signed = rawSigned(good);
    const label = cat(new TextEncoder().encode('chat/v1/msg\0'), bob.encryption.publicKey, signed);
    const real = cat(signed, sign(label, alice.identity.secretKey));
    expect(receive(sealInner(real, bob.encryption.publicKey), bobBox, id)).toBe('ok');
  });
});

describe('junk only ever produces CryptoError (fast-check)', () => {
  it('random envelopes of random lengths', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (junk, versioned) => {
        if (versioned && junk.length > 0) junk[0] = 1;
        expect(['ENVELOPE_MALFORMED', 'ENVELOPE_OPEN_FAILED']).toContain(receive(junk, bobBox, randomMessageId()));
      }),
      { numRuns: 500 },
    );
  });

  it('random and mutated inners, properly sealed', () => {
    const msg = message();
    const valid = signInner(msg, alice.identity.secretKey, bob.encryption.publicKey);
    const inner = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, m]) => flip(valid, i, m)),
      fc.nat(valid.length - 1).map((n) => valid.subarray(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => cat(valid, extra)),
    );
    fc.assert(
      fc.property(inner, (bytes) => {
        const code = receive(sealInner(bytes, bob.encryption.publicKey), bobBox, msg.id);
        expect([
          'ENVELOPE_MALFORMED',
          'ENVELOPE_MISADDRESSED',
          'ENVELOPE_ID_MISMATCH',
          'ENVELOPE_BAD_SIGNATURE',
        ]).toContain(code);
      }),
      { numRuns: 400 },
    );
  });
});
