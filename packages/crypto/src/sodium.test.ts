/** The libsodium addon's loader (sodium.ts): the prebuilt addon for this platform, and the fallback for any other. */
import { describe, expect, it } from 'vitest';
import { loadSodiumAddon, type SodiumAddon, sodium } from './sodium.js';
import { x25519KeyPair } from './index.js';

function roundTrip(addon: SodiumAddon): number[] {
  const keys = x25519KeyPair();
  const m = Uint8Array.of(1, 2, 3);
  const c = new Uint8Array(m.length + 48);
  expect(addon.crypto_box_seal(c, m, keys.publicKey)).toBe(0);
  const out = new Uint8Array(m.length);
  const { publicKey: pk, secretKey: sk } = keys;
  expect(
    addon.crypto_box_seal_open(
      out.buffer,
      0,
      3,
      c.buffer,
      0,
      c.length,
      pk.buffer,
      pk.byteOffset,
      32,
      sk.buffer,
      sk.byteOffset,
      32,
    ),
  ).toBe(true);
  return [...out];
}

describe('sodium()', () => {
  it('loads the prebuilt addon for this platform once', () => {
    expect(sodium()).toBe(sodium());
    expect(roundTrip(sodium())).toEqual([1, 2, 3]);
  });

  it("falls back to sodium-native's own resolver where no prebuilt addon has the platform's name (musl, a source build)", () => {
    expect(roundTrip(loadSodiumAddon('no-such-platform'))).toEqual([1, 2, 3]);
  });
});
