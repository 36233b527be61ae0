/**
 * Relay addresses as the user types them: `chat://<fingerprint>@host:port` (pins the relay's TLS certificate,
 * PROTOCOL.md §5.1), `host:port`, `[v6]:port`, or a bare host (default port, §11).
 */
import { isIPv6 } from 'node:net';
import { isRelayCertFingerprint } from '@chat/crypto';
import { DEFAULT_PORT } from '@chat/protocol';
import { ChatError } from './errors.js';

export const DEFAULT_RELAY = `127.0.0.1:${DEFAULT_PORT}`;

export interface RelayAddress {
  host: string;
  port: number;
  /** From a `chat://` address: the only certificate key fingerprint (§5.1) the client accepts. */
  fingerprint?: string;
}

const SCHEME = 'chat://';

/**
 * @throws {ChatError} `USAGE` if `text` is not `host[:port]` with a port in 1..65535.
 * @example parseRelayAddress('127.0.0.1:7717') // { host: '127.0.0.1', port: 7717 }
 */
export function parseRelayAddress(text: string): RelayAddress {
  const trimmed = text.trim();
  if (trimmed.toLowerCase().startsWith(SCHEME)) {
    const rest = trimmed.slice(SCHEME.length);
    const at = rest.indexOf('@');
    const fingerprint = at < 0 ? '' : rest.slice(0, at);
    if (!isRelayCertFingerprint(fingerprint)) {
      throw new ChatError(
        'USAGE',
        `invalid relay address "${text}": expected chat://<43-character fingerprint>@host:port, as chat-relay prints it`,
      );
    }
    return { ...parseHostPort(rest.slice(at + 1), text), fingerprint };
  }
  return parseHostPort(trimmed, text);
}

function parseHostPort(s: string, text: string): RelayAddress {
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (v6) {
    host = v6[1] ?? '';
    portText = v6[2];
  } else if ((s.match(/:/g) ?? []).length === 1) {
    const i = s.indexOf(':');
    host = s.slice(0, i);
    portText = s.slice(i + 1);
  } else if (!s.includes(':')) {
    host = s;
  } else {
    throw bad(text);
  }
  if (!host || /\s|\//.test(host)) throw bad(text);
  host = canonicalHost(host);
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) throw bad(text);
    port = Number(portText);
    if (port < 1 || port > 65535) throw bad(text);
  }
  return { host, port };
}

/**
 * One spelling per host, because the §5.1 pin is looked up by the stored address: a name in lower case (DNS names are
 * case-insensitive), an IPv6 literal in its RFC 5952 form (`2001:DB8:0:0::1` -> `2001:db8::1`). An IPv6 literal with
 * a zone id (`fe80::1%eth0`) is only lower-cased: the URL parser used here has no zones.
 */
function canonicalHost(host: string): string {
  const lower = host.toLowerCase();
  // Only a host with a colon can be an IPv6 literal. Node 20's isIPv6 compiles a very large regular expression on its
  // first call, 30-50 ms of CPU: every `chat send` and `chat recv` paid that for an IPv4 address or a DNS name.
  if (!lower.includes(':') || lower.includes('%') || !isIPv6(lower)) return lower;
  return new URL(`http://[${lower}]/`).hostname.slice(1, -1);
}

/** `host:port` without the fingerprint, as stored in config.json. */
export function formatRelayAddress({ host, port }: RelayAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `chat://<fingerprint>@host:port`, the form to give other people (§5.1). */
export function formatPinnedAddress(address: RelayAddress, fingerprint: string): string {
  return `${SCHEME}${fingerprint}@${formatRelayAddress(address)}`;
}

function bad(text: string): ChatError {
  return new ChatError('USAGE', `invalid relay address "${text}": expected host:port, e.g. ${DEFAULT_RELAY}`);
}
