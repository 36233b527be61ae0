/**
 * What the relay's per-address limits count as one address (PROTOCOL.md §11): an IPv4 address as it is, an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how a dual-stack listener reports IPv4 clients), a 6to4 address and a
 * Teredo address as the IPv4 address they embed, and any other IPv6 address by its /64 prefix and, nested, its /56 and /48 (`addressPrefixes`). One subscriber is
 * routinely given a whole /64 (and a home a /56, a site a /48), so counting single IPv6 addresses would give each
 * client 2^64 fresh "addresses" for the connection cap, the connection rate and the registration rate.
 */
import { isIPv6 } from 'node:net';

/** The key for `remote` (a socket's `remoteAddress`); `unknown` when there is none. */
export function addressKey(remote: string | undefined): string {
  if (remote === undefined || remote === '') return 'unknown';
  const address = remote.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names the interface, not the host
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const groups = expand(address);
  return embeddedIPv4(groups) ?? `${groups.slice(0, 4).join(':')}::/64`;
}

/**
 * The IPv4 address a transition address stands for (review 2 of 2026-12-06, finding 4), else undefined: a 6to4
 * address (2002:V::/48, RFC 3056) is its site's IPv4 address V; a Teredo address (2001:0::/32, RFC 4380 §4) is its
 * client's, the last 32 bits inverted. Counted as IPv6 blocks they gave one IPv4 host shares of its own beside its
 * native address (a whole /48 for 6to4, a /64 per Teredo server for Teredo).
 */
function embeddedIPv4(groups: string[]): string | undefined {
  const word = (i: number, invert: number): number => (Number.parseInt(groups[i]!, 16) ^ invert) & 0xffff;
  let hi: number;
  let lo: number;
  if (groups[0] === '2002') [hi, lo] = [word(1, 0), word(2, 0)];
  else if (groups[0] === '2001' && groups[1] === '0') [hi, lo] = [word(6, 0xffff), word(7, 0xffff)];
  else return undefined;
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/**
 * The nested blocks an IPv6 address belongs to, each counted with its own share of a per-address limit (§11): the /64
 * one subscriber or one VM gets (one share), the /56 a home connection is commonly delegated (two shares), the /48 a
 * site or a tunnel broker hands out (four shares). Without them one /56 counted as 256 addresses and one /48 as 65,536.
 * The shares grow with the block because unrelated customers of one hosting provider can share its /48.
 */
export const PREFIX_SHARES: readonly { bits: 64 | 56 | 48; shares: number }[] = [
  { bits: 64, shares: 1 },
  { bits: 56, shares: 2 },
  { bits: 48, shares: 4 },
];

/** One key under which a connection is counted, and how many per-address shares that key may hold. */
export interface AddressPrefix {
  key: string;
  shares: number;
}

/**
 * Every key a connection from `remote` counts under (PROTOCOL.md §11): an IPv4 address (or IPv4-mapped IPv6 address)
 * alone with one share; an IPv6 address under its /64, /56 and /48 with the shares of `PREFIX_SHARES`.
 */
export function addressPrefixes(remote: string | undefined): AddressPrefix[] {
  const key = addressKey(remote);
  if (!key.endsWith('::/64')) return [{ key, shares: 1 }];
  const groups = expand(remote!.replace(/%.*$/, ''));
  return PREFIX_SHARES.map(({ bits, shares }) => ({ key: prefixKey(groups, bits), shares }));
}

/**
 * The key of the mailbox address share (§11): an IPv4 address as it is, an IPv6 address by its /48. A waiting
 * envelope carries one address tag, so the share cannot nest like the connection limits; it is kept for the widest
 * block, the /48, so that one site or one tunnel-broker delegation holds one share of a mailbox, not 65,536.
 */
export function mailboxAddressKey(remote: string | undefined): string {
  const prefixes = addressPrefixes(remote);
  return prefixes[prefixes.length - 1]!.key;
}

function prefixKey(groups: string[], bits: number): string {
  const kept = groups.slice(0, Math.ceil(bits / 16)).map((g, i) => {
    const over = (i + 1) * 16 - bits; // low bits of this group outside the prefix
    return over > 0 ? ((Number.parseInt(g, 16) >> over) << over).toString(16) : g;
  });
  return `${kept.join(':')}::/${bits}`;
}

/** The eight 16-bit groups of a valid IPv6 address, as lower-case hex without leading zeros. */
function expand(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const parts = (s: string): string[] => (s === '' ? [] : s.split(':')).flatMap(groupsOf);
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}

/** A group, or an embedded IPv4 tail (`::ffff:1.2.3.4`-style forms other than the mapped one) as two groups. */
function groupsOf(part: string): string[] {
  if (!part.includes('.')) return [part];
  const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
