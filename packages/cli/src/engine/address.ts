/** Relay addresses as the user types them: `host:port`, `[v6]:port`, or a bare host (default port, §11). */
import { DEFAULT_PORT } from '@chat/protocol';
import { ChatError } from './errors.js';

export const DEFAULT_RELAY = `127.0.0.1:${DEFAULT_PORT}`;

export interface RelayAddress {
  host: string;
  port: number;
}

/**
 * @throws {ChatError} `USAGE` if `text` is not `host[:port]` with a port in 1..65535.
 * @example parseRelayAddress('127.0.0.1:7717') // { host: '127.0.0.1', port: 7717 }
 */
export function parseRelayAddress(text: string): RelayAddress {
  const s = text.trim();
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
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) throw bad(text);
    port = Number(portText);
    if (port < 1 || port > 65535) throw bad(text);
  }
  return { host, port };
}

/** The inverse of parseRelayAddress, as stored in config.json. */
export function formatRelayAddress({ host, port }: RelayAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function bad(text: string): ChatError {
  return new ChatError('USAGE', `invalid relay address "${text}": expected host:port, e.g. ${DEFAULT_RELAY}`);
}
