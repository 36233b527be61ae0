/**
 * What the per-address limits count as one address (PROTOCOL.md §11). Review 2026-12-06 finding 4: one IPv6 /56 (a
 * typical home delegation) counted as 256 addresses, one /48 as 65,536.
 */
import { describe, expect, it } from 'vitest';
import { addressKey, addressPrefixes, mailboxAddressKey } from './address-key.js';

describe('address keys', () => {
  it('an IPv6 address counts under its /64, /56 and /48, with 1, 2 and 4 shares', () => {
    expect(addressPrefixes('2001:DB8:aa:bbcd:1::9')).toEqual([
      { key: '2001:db8:aa:bbcd::/64', shares: 1 },
      { key: '2001:db8:aa:bb00::/56', shares: 2 },
      { key: '2001:db8:aa::/48', shares: 4 },
    ]);
    expect(addressPrefixes('192.0.2.7')).toEqual([{ key: '192.0.2.7', shares: 1 }]);
    expect(addressPrefixes('::ffff:192.0.2.7')).toEqual([{ key: '192.0.2.7', shares: 1 }]);
    expect(addressPrefixes(undefined)).toEqual([{ key: 'unknown', shares: 1 }]);
  });

  it('the /64 key is the one addressKey has always given', () => {
    expect(addressPrefixes('2001:db8:0:1::1')[0]!.key).toBe(addressKey('2001:db8:0:1::1'));
  });

  it('every /56 of a /48 is one address for the mailbox share, and shares one /56 key per /56', () => {
    const all = Array.from({ length: 256 }, (_, i) => `2001:db8:7:${(i << 8).toString(16)}::1`);
    expect(new Set(all.map(mailboxAddressKey))).toEqual(new Set(['2001:db8:7::/48']));
    expect(new Set(all.map((a) => addressPrefixes(a)[1]!.key)).size).toBe(256);
    const one56 = Array.from({ length: 256 }, (_, i) => `2001:db8:7:${(0x4200 + i).toString(16)}::1`);
    expect(new Set(one56.map((a) => addressPrefixes(a)[1]!.key))).toEqual(new Set(['2001:db8:7:4200::/56']));
    expect(mailboxAddressKey('198.51.100.4')).toBe('198.51.100.4');
  });
});
