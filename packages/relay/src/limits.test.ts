import { describe, expect, it } from 'vitest';
import { BucketMap, DEFAULT_LIMITS, TokenBucket, UserRates } from './limits.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const b = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) expect(b.take(1, 0)).toBe(0);
    expect(b.take(1, 0)).toBe(100); // one token per 100 ms
    expect(b.take(1, 50)).toBe(50);
    expect(b.take(1, 100)).toBe(0);
    expect(b.take(3, 1_000)).toBe(0); // refilled to 5 (capped), took 3
    expect(b.take(3, 1_000)).toBe(100);
  });

  it('refuses a request larger than the burst forever, without charging it', () => {
    const b = new TokenBucket(1, 4, 0);
    expect(b.take(5, 0)).toBe(Infinity);
    expect(b.take(4, 0)).toBe(0);
  });

  it('is full again after burst / rate seconds', () => {
    const b = new TokenBucket(2, 4, 0);
    b.take(4, 0);
    expect(b.isFull(1_999)).toBe(false);
    expect(b.isFull(2_000)).toBe(true);
  });
});

describe('BucketMap and UserRates', () => {
  it('keeps a bucket per key and forgets full ones', () => {
    const m = new BucketMap(1, 2);
    m.take('a', 2, 0);
    m.take('b', 1, 0);
    expect(m.take('a', 1, 0)).toBeGreaterThan(0);
    expect(m.take('c', 1, 0)).toBe(0);
    m.sweep(10_000);
    expect(m.size).toBe(0);
  });

  it('a refused byte request gives its message token back', () => {
    const r = new UserRates({
      ...DEFAULT_LIMITS,
      messagesPerSecond: 1,
      messagesBurst: 2,
      bytesPerSecond: 1,
      bytesBurst: 100,
    });
    expect(r.take('u', 200, 0)).toBe(Infinity);
    expect(r.take('u', 10, 0)).toBe(0);
    expect(r.take('u', 10, 0)).toBe(0);
    expect(r.take('u', 10, 0)).toBeGreaterThan(0); // two message tokens were there, not one
  });

  it('charges stored envelopes per envelope, and a refused one gives its message and byte tokens back', () => {
    const r = new UserRates({
      ...DEFAULT_LIMITS,
      messagesPerSecond: 1,
      messagesBurst: 3,
      bytesPerSecond: 1,
      bytesBurst: 30,
      envelopesPerSecond: 1,
      envelopesBurst: 10,
    });
    expect(r.take('u', 10, 0, 11)).toBe(Infinity); // more envelopes than the burst: never
    expect(r.take('u', 10, 0, 10)).toBe(0); // one fanout of ten entries spends every envelope token
    expect(r.take('u', 10, 0, 1)).toBe(1000); // a send now waits for one envelope token...
    expect(r.take('u', 10, 0, 0)).toBe(0); // ...and was not charged: these two still fit
    expect(r.take('u', 10, 0, 0)).toBe(0);
  });
});

describe('PrefixBuckets (review 2026-12-06 finding 4)', () => {
  it('charges every block of an address; a refused take is charged to none', async () => {
    const { PrefixBuckets } = await import('./limits.js');
    const { addressPrefixes } = await import('./address-key.js');
    const b = new PrefixBuckets(0.001, 1);
    // Five /56s of one /48: each /56 (2 tokens) has room, the /48 (4 tokens) stops the fifth.
    const waits = Array.from({ length: 5 }, (_, i) =>
      b.take(addressPrefixes(`2001:db8:9:${(i << 8).toString(16)}::1`), 0),
    );
    expect(waits.map((w) => w === 0)).toEqual([true, true, true, true, false]);
    // The refused take left the fifth /56's bucket full: another /48 is unaffected.
    expect(b.take(addressPrefixes('2001:db8:a::1'), 0)).toBe(0);
    expect(b.take(addressPrefixes('192.0.2.1'), 0)).toBe(0);
    expect(b.take(addressPrefixes('192.0.2.1'), 0)).toBeGreaterThan(0);
  });
});
