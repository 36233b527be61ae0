import { describe, expect, it, vi } from 'vitest';
import { ChatError } from './errors.js';
import { formatRelayAddress, parseRelayAddress } from './address.js';

// What node:net's isIPv6 was asked: its first call costs a one-shot command 30-50 ms of CPU (address.ts).
const askedIPv6 = vi.hoisted(() => [] as string[]);
vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  return {
    ...net,
    isIPv6: (s: string) => {
      askedIPv6.push(s);
      return net.isIPv6(s);
    },
  };
});

describe('relay addresses', () => {
  it.each([
    ['127.0.0.1:7717', '127.0.0.1', 7717],
    ['relay.example.org:9000', 'relay.example.org', 9000],
    ['localhost', 'localhost', 7717],
    ['[::1]:8000', '::1', 8000],
    ['[::1]', '::1', 7717],
  ])('%s', (text, host, port) => {
    const a = parseRelayAddress(text);
    expect(a).toEqual({ host, port });
    expect(parseRelayAddress(formatRelayAddress(a))).toEqual(a);
  });

  // Review 2026-12-06 finding 7: the §5.1 pin is looked up by the stored address, so one relay must have one spelling.
  it.each([
    ['LOCALHOST:7717', 'localhost:7717'],
    ['Relay.Example.ORG', 'relay.example.org:7717'],
    ['[2001:DB8:0:0::1]:80', '[2001:db8::1]:80'],
    ['[0:0:0:0:0:0:0:1]', '[::1]:7717'],
    ['[::FFFF:127.0.0.1]:80', '[::ffff:7f00:1]:80'],
    ['chat://AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@LocalHost:1', 'localhost:1'],
  ])('%s is stored as %s', (text, stored) => {
    expect(formatRelayAddress(parseRelayAddress(text))).toBe(stored);
  });

  it.each(['', ':7717', 'host:', 'host:0', 'host:65536', 'host:77a', '::1:80', 'a b:1', 'http://x:1'])(
    'refuses %j with a usage error',
    (text) => {
      let err: unknown;
      try {
        parseRelayAddress(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ChatError);
      expect((err as ChatError).exitCode).toBe(2);
    },
  );
});

describe('chat:// relay addresses (PROTOCOL.md §5.1)', () => {
  const fp = '8Lh4PGRXsWA4ZljjQfD1oaS5zWkDWdJtZ5mK7Iznd0w';
  it('carry the certificate fingerprint', () => {
    expect(parseRelayAddress(`chat://${fp}@127.0.0.1:7000`)).toEqual({
      host: '127.0.0.1',
      port: 7000,
      fingerprint: fp,
    });
    expect(parseRelayAddress(`chat://${fp}@[::1]`)).toEqual({ host: '::1', port: 7717, fingerprint: fp });
  });
  it.each([
    `chat://@h:1`,
    `chat://${fp}h:1`,
    `chat://${fp.slice(1)}@h:1`,
    `chat://${fp.slice(0, -1)}x@h:1`,
    `chat://${fp}=@h:1`,
    `chat://${fp}@`,
  ])('refuses %j with a usage error', (text) => {
    let err: unknown;
    try {
      parseRelayAddress(text);
    } catch (e) {
      err = e;
    }
    expect((err as ChatError).exitCode).toBe(2);
  });
});

describe('the start-up cost of an address', () => {
  it('asks isIPv6 only about a host that has a colon', async () => {
    // A copy of address.ts evaluated now, against the node:net mocked above: a worker runs file after file
    // (vitest.config.ts, isolate: false), and one that imported address.ts before holds a copy bound to the real one.
    vi.resetModules();
    const fresh = await import('./address.js');
    askedIPv6.length = 0;
    fresh.parseRelayAddress('127.0.0.1:7717');
    fresh.parseRelayAddress('Relay.Example.org:9000');
    expect(askedIPv6).toEqual([]);
    expect(fresh.parseRelayAddress('[2001:DB8::1]:80').host).toBe('2001:db8::1');
    expect(askedIPv6).toEqual(['2001:db8::1']);
  });
});
