/**
 * The session methods' parameter checks (docs/JSONRPC.md, "Session methods"), without a socket: every method is
 * registered, well-formed params reach the operation as they were sent, and malformed ones are USAGE (-32602)
 * before any operation runs.
 */
import { JSONRPCServer } from 'json-rpc-2.0';
import { describe, expect, it } from 'vitest';
import { SESSION_OPS, type SessionOps, sessionMethod } from '../session/ops.js';
import type { ConnectionParams } from './methods.js';
import { addSessionMethods } from './methods-session.js';
import { toRpcError } from './rpc-errors.js';

describe('session methods', () => {
  const calls: [string, unknown][] = [];
  const ops = Object.fromEntries(
    SESSION_OPS.map((name) => [
      name,
      async (p: unknown) => {
        calls.push([name, p]);
        return { ok: name };
      },
    ]),
  ) as unknown as SessionOps;
  const server = new JSONRPCServer<ConnectionParams>({ errorListener: () => {} });
  server.mapErrorToJSONRPCErrorResponse = (id, err) => ({ jsonrpc: '2.0', id, error: toRpcError(err) });
  addSessionMethods(server, Promise.resolve(ops));
  // Each operation is served as `session.<name>` (sessionMethod), beside the public methods.
  const call = (name: string, params?: unknown) =>
    server.receive(
      { jsonrpc: '2.0', id: 1, method: sessionMethod(name), params },
      { subscriber: { notify: () => {}, alive: () => true } },
    );

  const good: Record<(typeof SESSION_OPS)[number], Record<string, unknown>> = {
    sessionInfo: {},
    queueMessage: { recipient: 'alice', message: 'hi', replyTo: 'ab'.repeat(16) },
    sendToConversation: { recipient: '#team', message: 'hi' },
    markRead: { recipient: 'alice' },
    sendTyping: { recipient: 'alice', stop: true },
    who: {},
    checkKey: { recipient: 'alice' },
    safetyNumber: { recipient: 'alice' },
    trustKey: { recipient: 'alice', verifiedSafetyNumber: '12345' },
    flushOutbox: {},
    editMessage: { id: 'ab12', message: 'fixed' },
    deleteMessage: { id: 'ab12', forMe: true },
    react: { id: 'ab12', emoji: '👍' },
    setTimer: { recipient: 'alice', seconds: 3600 },
    createGroup: { name: 'team', members: ['alice', 'carol'] },
    updateGroup: { group: 'team', op: 'rename', name: 'crew' },
    listRooms: {},
    joinRoom: { room: 'lobby' },
    leaveRoom: { room: 'lobby' },
    sendFile: { recipient: 'alice', path: '/tmp/report.pdf' },
    acceptFile: { id: 'ab12', dir: '/tmp' },
    declineFile: { id: 'ab12', dir: '/tmp' },
    admin: { op: 'kick', user: 'mallory', reason: 'spam' },
  };

  it('passes well-formed params to the operation unchanged', async () => {
    for (const name of SESSION_OPS) {
      expect((await call(name, good[name]))?.result, name).toEqual({ ok: name });
      expect(calls.at(-1), name).toEqual([name, good[name]]);
    }
  });

  it('refuses malformed params with USAGE before any operation runs', async () => {
    calls.length = 0;
    const bad: [string, unknown][] = [
      ['queueMessage', { recipient: 'alice' }],
      ['queueMessage', { recipient: 'alice', message: 'x', replyTo: 7 }],
      ['markRead', {}],
      ['markRead', ['alice']],
      ['sendTyping', { recipient: 'alice', stop: 'yes' }],
      ['setTimer', { recipient: 'alice', seconds: -1 }],
      ['setTimer', { recipient: 'alice', seconds: 1.5 }],
      ['createGroup', { name: 'team', members: 'alice' }],
      ['createGroup', { name: 'team', members: ['alice', ''] }],
      ['updateGroup', { group: 'team', op: 'create' }],
      ['sendFile', { recipient: 'alice', path: 'relative/report.pdf' }],
      ['acceptFile', { id: 'ab12', dir: 'Downloads' }],
      ['admin', { op: 'format-disk' }],
      ['deleteMessage', { id: 'ab12', forMe: 1 }],
    ];
    for (const [method, params] of bad)
      expect((await call(method, params))?.error, `${method} ${JSON.stringify(params)}`).toMatchObject({
        code: -32602,
        data: { code: 'USAGE' },
      });
    expect(calls).toEqual([]);
  });
});
