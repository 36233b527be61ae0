/**
 * Connection admission by address (PROTOCOL.md §11): the per-address cap and rate count an IPv6 client by its /64,
 * the smallest block one subscriber is usually given, and an IPv4-mapped IPv6 address as the IPv4 address it is.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RelayContext } from './context.js';
import { ConnectionGate } from './gate.js';
import { DEFAULT_LIMITS } from './limits.js';

/** Stands in for an accepted socket: only what the gate touches. */
function socketFrom(remoteAddress: string): Socket {
  const s = new EventEmitter() as EventEmitter & { remoteAddress: string; destroy: () => void };
  s.remoteAddress = remoteAddress;
  s.destroy = () => {};
  return s as unknown as Socket;
}

const refused: string[] = [];
const ctx = {
  metrics: { connectionRejected: (code: string) => refused.push(code), errSent: () => {} },
} as unknown as RelayContext;

function admitAll(addresses: string[], limits: Partial<typeof DEFAULT_LIMITS>): boolean[] {
  const gate = new ConnectionGate({ ...DEFAULT_LIMITS, ...limits }, () => 0);
  return addresses.map((a) => gate.admit(socketFrom(a), ctx, () => {}));
}

describe('ConnectionGate: one address is an IPv4 address or an IPv6 /64', () => {
  it('caps open connections per IPv6 /64, not per address in it', () => {
    const inOne64 = [
      '2001:db8:1:2::1',
      '2001:db8:1:2::2',
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0db8:0001:0002::9',
    ];
    expect(admitAll(inOne64, { maxConnectionsPerIp: 2 })).toEqual([true, true, false, false]);
    // Another /64 is another address.
    expect(admitAll(['2001:db8:1:2::1', '2001:db8:1:3::1'], { maxConnectionsPerIp: 1 })).toEqual([true, true]);
  });

  it('rate-limits new connections per IPv6 /64', () => {
    const many = Array.from({ length: 5 }, (_, i) => `2001:db8:aa:bb::${i + 1}`);
    expect(admitAll(many, { connectionsPerIpBurst: 3, connectionsPerIpPerSecond: 0.001 })).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, and IPv4 addresses one by one', () => {
    expect(admitAll(['::ffff:192.0.2.7', '192.0.2.7'], { maxConnectionsPerIp: 1 })).toEqual([true, false]);
    expect(admitAll(['192.0.2.7', '192.0.2.8'], { maxConnectionsPerIp: 1 })).toEqual([true, true]);
  });
});

// Review 2026-12-06 finding 4: a /56 was 256 "addresses", each with the full per-address cap.
describe('ConnectionGate: nested IPv6 blocks', () => {
  it('a /56 holds twice the per-address cap, whatever /64s in it connect', () => {
    const one56 = Array.from({ length: 5 }, (_, i) => `2001:db8:5:ab${i.toString(16).padStart(2, '0')}::1`);
    expect(admitAll(one56, { maxConnectionsPerIp: 1 })).toEqual([true, true, false, false, false]);
  });

  it('a /48 holds four times the per-address cap, whatever /56s in it connect', () => {
    const one48 = Array.from({ length: 6 }, (_, i) => `2001:db8:6:${(i << 8).toString(16)}::1`);
    expect(admitAll(one48, { maxConnectionsPerIp: 1 })).toEqual([true, true, true, true, false, false]);
    expect(refused.at(-1)).toBe('TOO_MANY_IP_CONNECTIONS');
  });

  it('the connection rate is counted per block too, with the same shares', () => {
    const one48 = Array.from({ length: 6 }, (_, i) => `2001:db8:7:${(i << 8).toString(16)}::1`);
    expect(admitAll(one48, { connectionsPerIpBurst: 1, connectionsPerIpPerSecond: 0.001 })).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
