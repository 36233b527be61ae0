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

  // Review 2 of 2026-12-06, finding 4: 6to4 and Teredo addresses embed an IPv4 address; counted as IPv6 blocks, one
  // IPv4 host got a fresh set of shares (its own /48, or a /64 per Teredo port) beside its native IPv4 address.
  it('a 6to4 address (2002:V::/48) counts as its IPv4 address V, whatever the rest', () => {
    for (const a of ['2002:c000:0207::1', '2002:C000:207:1::1', '2002:c000:207:ffff:1:2:3:4']) {
      expect(addressPrefixes(a), a).toEqual([{ key: '192.0.2.7', shares: 1 }]);
      expect(mailboxAddressKey(a), a).toBe('192.0.2.7');
    }
  });

  it("a Teredo address (2001:0::/32) counts as its client's IPv4 address (the last 32 bits, inverted)", () => {
    // RFC 4380 §4 example: server 65.54.227.120, client 192.0.2.45 (obfuscated 3fff:fdd2), port 40000.
    for (const a of [
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      '2001::4136:e378:8000:1234:3fff:fdd2',
      '2001:0:1:2:0:0:3fff:fdd2',
    ]) {
      expect(addressPrefixes(a), a).toEqual([{ key: '192.0.2.45', shares: 1 }]);
      expect(mailboxAddressKey(a), a).toBe('192.0.2.45');
    }
    expect(addressKey('2001:0:4136:e378:8000:63bf:3fff:fdd3')).toBe('192.0.2.44');
    // 2001:db8::/32 (documentation) and 2001:1::/32 are not Teredo.
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:1::1')).toBe('2001:1:0:0::/64');
  });
});
