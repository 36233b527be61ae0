/**
 * The ML-KEM code loads on demand (mlkem.ts): until loadMlkem() has finished, the synchronous functions refuse to run
 * (a caller that forgot to load it fails loudly instead of silently paying the import); afterwards they work, and
 * loading again is free. The test setup loads ML-KEM for every test file, so this one takes a fresh module copy.
 */
import { describe, expect, it, vi } from 'vitest';

describe('loadMlkem', () => {
  it('the ML-KEM functions refuse to run before loadMlkem() and work after it', async () => {
    vi.resetModules();
    const fresh = await import('./mlkem.js');
    expect(fresh.mlkemLoaded()).toBe(false);
    expect(() => fresh.mlkemKeyPair()).toThrow(/await loadMlkem\(\) first/);
    expect(() => fresh.mlkemEncapsulate(new Uint8Array(1184))).toThrow(/await loadMlkem\(\) first/);
    expect(() => fresh.mlkemDecapsulate(new Uint8Array(1088), new Uint8Array(2400))).toThrow(/loadMlkem/);
    const first = fresh.loadMlkem();
    expect(fresh.loadMlkem()).toBe(first); // one import, however many callers warm it
    await first;
    expect(fresh.mlkemLoaded()).toBe(true);
    const pair = fresh.mlkemKeyPair();
    const { cipherText, sharedSecret } = fresh.mlkemEncapsulate(pair.publicKey);
    expect(fresh.mlkemDecapsulate(cipherText, pair.secretKey)).toEqual(sharedSecret);
  });
});
