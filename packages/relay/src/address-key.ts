/**
 * What the relay's per-address limits count as one address (PROTOCOL.md §11): an IPv4 address as it is, an
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how a dual-stack listener reports IPv4 clients) as that IPv4 address,
 * and any other IPv6 address by its /64 prefix — one subscriber is routinely given a whole /64, so counting single
 * IPv6 addresses would give each client 2^64 fresh "addresses" for the connection cap, the connection rate and the
 * registration rate.
 */
import { isIPv6 } from 'node:net';

/** The key for `remote` (a socket's `remoteAddress`); `unknown` when there is none. */
export function addressKey(remote: string | undefined): string {
  if (remote === undefined || remote === '') return 'unknown';
  const address = remote.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names the interface, not the host
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  return `${expand(address).slice(0, 4).join(':')}::/64`;
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
