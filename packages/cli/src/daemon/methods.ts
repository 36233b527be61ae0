/**
 * The JSON-RPC methods of `chat daemon` and `chat jsonrpc` (docs/JSONRPC.md is their contract). Each takes named
 * params (params.ts), checks them, and calls the engine function its CLI command calls; errors are ChatErrors that
 * rpc-errors.ts turns into error objects. Where signal-cli has the same operation its name is used (`send` with
 * `recipient` and `message`, `listContacts`, `listGroups`, `sendReaction`, `remoteDelete`, `sendReceipt`,
 * `sendTyping`, `trust`, `block`, `updateGroup`, `quitGroup`, `updateContact`, `version`), so a bot written for one
 * reads naturally against the other. This file has the core; methods-*.ts one feature each.
 */
import { JSONRPCServer } from 'json-rpc-2.0';
import { ChatError } from '../engine/errors.js';
import type { FanoutResult } from '../engine/events.js';
import type { Messenger } from '../engine/messenger.js';
import type { Contact, StoredMessage } from '../engine/store/store.js';
import type { Hub } from './hub.js';
import { type ConnectionParams, type EngineDeps, type Register, gate } from './register.js';
import { registerContactMethods } from './methods-contacts.js';
import { registerFileMethods } from './methods-files.js';
import { registerGroupMethods } from './methods-groups.js';
import { conversationHistory, editWithSend, registerMessageMethods } from './methods-messages.js';
import { contactObject } from './objects.js';
import { intParam, namedParams, optionalString, stringParam, targetParam, type Params } from './params.js';
import { toRpcError } from './rpc-errors.js';

/** The version of this API (docs/JSONRPC.md); a change that breaks a client bumps it. */
export type { ConnectionParams } from './register.js';

export const API_VERSION = 1;
export const HISTORY_DEFAULT = 50;
export const HISTORY_MAX = 1000;

/** What the methods use of the engine. */
export interface MethodDeps {
  version: string;
  /** A message to a user or a conversation (`#name`, `group:<id>`, `room:<name>`), answering `replyTo` if given. */
  send(recipient: string, text: string, replyTo?: string, allowV1?: boolean): Promise<SendResult>;
  contacts(): Contact[];
  history(options: { peer?: string; limit: number }): StoredMessage[];
  hub: Pick<Hub, 'subscribe' | 'unsubscribe' | 'drain' | 'undelivered'>;
  /** The session's engine, for the feature methods (methods-*.ts); absent only in unit tests of the core. */
  engine?: Messenger;
  /** Where `acceptFile` saves without `dir`: `chat files accept`'s default for the daemon's environment. */
  downloads?: string;
}

/** `replyTo`: the full id of the message answered (§17), when the send was a reply. */
export type SendResult = (
  | { type: 'direct'; to: string; id: string; ts: number; state: 'sent'; version?: 1 | 2 }
  | { type: 'conversation'; to: string; stored: FanoutResult['stored']; failed: FanoutResult['failed'] }
) & { replyTo?: string };

export function rpcServer(deps: Promise<MethodDeps>): JSONRPCServer<ConnectionParams> {
  const server = new JSONRPCServer<ConnectionParams>({ errorListener: () => {} });
  server.mapErrorToJSONRPCErrorResponse = (id, err) => ({ jsonrpc: '2.0', id, error: toRpcError(err) });
  const started = gate(deps);
  const method = <R>(name: string, f: (d: MethodDeps, p: Params, c: ConnectionParams) => R): void =>
    server.addMethod(name, async (params: unknown, conn) => f(await started(), namedParams(params), conn));
  const engineMethod: Register<Messenger> = (name, f) => method(name, (d, p, c) => f(engineOf(d, name), p, c));

  method('version', (d) => ({ version: d.version, api: API_VERSION }));
  method('send', (d, p): Promise<unknown> => {
    const message = stringParam(p, 'message');
    // signal-cli edits with `send` and `editTimestamp`; our messages have ids, so it is `editId` here.
    if (p.editId !== undefined) return editWithSend(engineOf(d, 'send').engine, p, message);
    const recipient = targetParam(p);
    const replyTo = optionalString(p, 'replyTo');
    return d.send(recipient, message, replyTo, p.allowV1 === true);
  });
  method('listContacts', (d) => d.contacts().map(contactObject));
  method('history', (d, p) => {
    // With `recipient` / `groupId`: `chat history <target> --json`; with `peer` or nothing: the stored rows (v1).
    if (p.recipient !== undefined || p.groupId !== undefined)
      return conversationHistory(engineOf(d, 'history').engine, p);
    const peer = optionalString(p, 'peer');
    const limit = intParam(p, 'limit', 1, HISTORY_MAX, HISTORY_DEFAULT) as number;
    return d.history(peer === undefined ? { limit } : { peer, limit });
  });
  method('receive', (d) => ({ messages: d.hub.drain(), ...d.hub.undelivered() }));
  method('subscribe', (d, _p, c) => {
    d.hub.subscribe(c.subscriber);
    return { subscribed: true };
  });
  method('unsubscribe', (d, _p, c) => {
    d.hub.unsubscribe(c.subscriber);
    return { subscribed: false };
  });
  registerMessageMethods(engineMethod);
  registerGroupMethods(engineMethod);
  registerContactMethods(engineMethod);
  registerFileMethods(engineMethod);
  return server;
}

function engineOf(d: MethodDeps, name: string): EngineDeps<Messenger> {
  if (!d.engine) throw new ChatError('UNEXPECTED', `${name} needs the daemon's session`);
  return { engine: d.engine, downloads: d.downloads ?? '' };
}
