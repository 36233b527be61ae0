import { describe, expect, it } from 'vitest';
import { ChatError } from './errors.js';
import { formatRelayAddress, parseRelayAddress } from './address.js';

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

  it.each(['', ':7717', 'host:', 'host:0', 'host:65536', 'host:77a', '::1:80', 'a b:1', 'http://x:1'])('refuses %j with a usage error', (text) => {
    let err: unknown;
    try {
      parseRelayAddress(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChatError);
    expect((err as ChatError).exitCode).toBe(2);
  });
});
