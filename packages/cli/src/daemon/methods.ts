/**
 * The JSON-RPC methods of `chat daemon` (docs/JSONRPC.md is their contract). Each takes named params, checks them,
 * and calls one narrow capability; errors are ChatErrors that rpc-errors.ts turns into error objects. Where
 * signal-cli has the same operation its name is used (`send` with `recipient` and `message`, `listContacts`,
 * `version`), so a bot written for one reads naturally against the other.
 */
import { JSONRPCServer } from 'json-rpc-2.0';
import type { FanoutResult } from '../engine/events.js';
import type { Contact, StoredMessage } from '../engine/store/store.js';
import type { Hub, Subscriber } from './hub.js';
import { contactObject } from './objects.js';
import { badParam, toRpcError } from './rpc-errors.js';

/** The version of this API (docs/JSONRPC.md); a change that breaks a client bumps it. */
export const API_VERSION = 1;
export const HISTORY_DEFAULT = 50;
export const HISTORY_MAX = 1000;

/** What the methods use of the engine. */
export interface MethodDeps {
  version: string;
  /** A message to a user or a conversation (`#name`, `group:<id>`, `room:<name>`), answering `replyTo` if given. */
  send(recipient: string, text: string, replyTo?: string): Promise<SendResult>;
  contacts(): Contact[];
  history(options: { peer?: string; limit: number }): StoredMessage[];
  hub: Pick<Hub, 'subscribe' | 'unsubscribe' | 'drain'>;
}

/** Per connection: the connection as a subscriber. */
export interface ConnectionParams {
  subscriber: Subscriber;
}

/** `replyTo`: the full id of the message answered (§17), when the send was a reply. */
export type SendResult = (
  | { type: 'direct'; to: string; id: string; ts: number; state: 'sent' }
  | { type: 'conversation'; to: string; stored: FanoutResult['stored']; failed: FanoutResult['failed'] }
) & { replyTo?: string };

export function rpcServer(deps: Promise<MethodDeps>): JSONRPCServer<ConnectionParams> {
  const server = new JSONRPCServer<ConnectionParams>({ errorListener: () => {} });
  server.mapErrorToJSONRPCErrorResponse = (id, err) => ({ jsonrpc: '2.0', id, error: toRpcError(err) });
  const method = <R>(name: string, f: (d: MethodDeps, p: Record<string, unknown>, c: ConnectionParams) => R): void =>
    server.addMethod(name, async (params: unknown, conn) => f(await deps, namedParams(params), conn));

  method('version', (d) => ({ version: d.version, api: API_VERSION }));
  method('send', async (d, p): Promise<SendResult> => {
    const recipient = stringParam(p, 'recipient');
    const message = stringParam(p, 'message');
    const replyTo = p.replyTo === undefined ? undefined : stringParam(p, 'replyTo');
    return d.send(recipient, message, replyTo);
  });
  method('listContacts', (d) => d.contacts().map(contactObject));
  method('history', (d, p) => {
    const peer = p.peer === undefined ? undefined : stringParam(p, 'peer');
    const limit = p.limit === undefined ? HISTORY_DEFAULT : p.limit;
    if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > HISTORY_MAX)
      throw badParam('limit', `an integer from 1 to ${HISTORY_MAX}`);
    return d.history(peer === undefined ? { limit: limit as number } : { peer, limit: limit as number });
  });
  method('receive', (d) => ({ messages: d.hub.drain() }));
  method('subscribe', (d, _p, c) => {
    d.hub.subscribe(c.subscriber);
    return { subscribed: true };
  });
  method('unsubscribe', (d, _p, c) => {
    d.hub.unsubscribe(c.subscriber);
    return { subscribed: false };
  });
  return server;
}

/** Params by name (an object) or none; positional params are refused, so every method reads them one way. */
export function namedParams(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw badParam('', 'an object of named parameters');
  return params as Record<string, unknown>;
}

export function stringParam(p: Record<string, unknown>, name: string): string {
  const v = p[name];
  if (typeof v !== 'string' || v.length === 0) throw badParam(name, 'a non-empty string');
  return v;
}
