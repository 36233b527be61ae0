/**
 * The daemon's pure parts, without a socket: line framing and its limit, the ChatError ↔ JSON-RPC error mapping,
 * the hub's fan-out and its queue for `receive`, and the methods' parameter checks (docs/JSONRPC.md).
 */
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { JSONRPCServer } from 'json-rpc-2.0';
import { describe, expect, it } from 'vitest';
import { ChatError } from '../engine/errors.js';
import type { MessengerEvents, ReceivedMessage } from '../engine/events.js';
import { Hub, MAX_PENDING, type Notification } from './hub.js';
import { LineSplitter } from './lines.js';
import { rpcServer, type ConnectionParams, type MethodDeps } from './methods.js';
import { serveStream } from './server.js';
import { fromRpcError, toRpcError } from './rpc-errors.js';

describe('LineSplitter', () => {
  it('yields each line once, across chunk boundaries and split UTF-8 characters, skipping blank lines', () => {
    const lines: string[] = [];
    const s = new LineSplitter(
      100,
      (l) => lines.push(l),
      () => lines.push('TOO LONG'),
    );
    const bytes = Buffer.from('{"a":"é"}\n\n{"b":2}\n{"c"');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1)); // one byte at a time
    s.push(Buffer.from(':3}\n'));
    expect(lines).toEqual(['{"a":"é"}', '{"b":2}', '{"c":3}']);
  });

  it('reports a line over the limit once and ignores the rest of the stream', () => {
    const lines: string[] = [];
    let tooLong = 0;
    const s = new LineSplitter(
      8,
      (l) => lines.push(l),
      () => tooLong++,
    );
    s.push(Buffer.from('12345678\n'));
    s.push(Buffer.from('123456789'));
    s.push(Buffer.from('\nok\n'));
    expect(lines).toEqual(['12345678']);
    expect(tooLong).toBe(1);
  });
});

describe('serveStream', () => {
  it('drops a client that leaves more than the limit of answers unread, instead of growing for ever (hunt2)', async () => {
    const input = new PassThrough();
    // A reader that never reads: nothing written ever leaves the buffer.
    const output = new Writable({ highWaterMark: 16, write: () => {} });
    let closed = 0;
    const stream = {
      input,
      output,
      close: () => {
        closed++;
        output.destroy();
        input.destroy();
      },
      end: () => output.end(),
    };
    const rpc = new JSONRPCServer<ConnectionParams>();
    rpc.addMethod('big', () => 'x'.repeat(1000));
    const served = serveStream(stream, rpc, { unsubscribe: () => {} }, 10_000);
    for (let i = 0; i < 200; i++) input.write(`{"jsonrpc":"2.0","id":${i},"method":"big"}\n`);
    input.end(); // served resolves either way: dropped, or (without the limit) every answer buffered
    await served;
    expect(closed).toBe(1);
    expect(output.writableLength).toBeLessThan(10_000 + 2_000); // at most one answer past the limit
  });
});

describe('rpc-errors', () => {
  it('maps usage errors to -32602 and others to -32000 minus the exit code, keeping code and hint', () => {
    expect(toRpcError(new ChatError('BAD_USERNAME', 'bad'))).toEqual({
      code: -32602,
      message: 'bad',
      data: { code: 'BAD_USERNAME' },
    });
    expect(toRpcError(new ChatError('UNKNOWN_USER', 'who?', { hint: 'check' }))).toEqual({
      code: -32003,
      message: 'who?',
      data: { code: 'UNKNOWN_USER', hint: 'check' },
    });
    expect(toRpcError(new ChatError('ALREADY_RECEIVING', 'x')).code).toBe(-32006);
    expect(toRpcError(new Error('secret detail'))).toEqual({
      code: -32603,
      message: 'internal error in the daemon',
      data: { code: 'UNEXPECTED' },
    });
  });

  it('maps an error object back to the same ChatError (code, exit code, hint)', () => {
    const e = fromRpcError(toRpcError(new ChatError('KEY_CHANGED', 'changed', { hint: 'chat verify bob' })));
    expect(e).toMatchObject({ code: 'KEY_CHANGED', exitCode: 4, message: 'changed', hint: 'chat verify bob' });
    expect(fromRpcError({ code: -32602, message: 'no' })).toMatchObject({ code: 'USAGE', exitCode: 2 });
    // A daemon from before a method existed: the user is told to restart it.
    expect(fromRpcError({ code: -32601, message: 'Method not found' })).toMatchObject({
      code: 'UNEXPECTED',
      hint: expect.stringContaining('restart it'),
    });
  });
});

function message(id: string): ReceivedMessage {
  return { id, from: 'alice', to: 'bob', body: `body ${id}`, ts: 1, relayTs: 2, receivedAt: 3 };
}

describe('Hub', () => {
  it('sends messages to every subscriber, and keeps them for receive only while nobody is subscribed', () => {
    const source = new EventEmitter<MessengerEvents>();
    const counts: number[] = [];
    const hub = new Hub(source, (n) => counts.push(n));
    source.emit('message', message('1'));
    const a: Notification[] = [];
    const b: Notification[] = [];
    hub.subscribe({ notify: (n) => a.push(n), alive: () => true });
    hub.subscribe({ notify: () => a.push('dead' as never), alive: () => false }); // its client already left
    const sb = { notify: (n: Notification) => b.push(n), alive: () => true };
    hub.subscribe(sb);
    source.emit('message', message('2'));
    source.emit('held', { id: '3', from: 'carol', reason: 'KEY_CHANGED' });
    expect(a.map((n) => n.params)).toEqual([
      { type: 'message', id: '2', from: 'alice', to: 'bob', body: 'body 2', ts: 1, relayTs: 2, receivedAt: 3 },
      { type: 'held', id: '3', from: 'carol', reason: 'KEY_CHANGED' },
    ]);
    expect(b).toEqual(a);
    expect(hub.drain().map((m) => m.id)).toEqual(['1']); // 2 was seen by subscribers
    expect(hub.drain()).toEqual([]);
    hub.unsubscribe(sb);
    hub.unsubscribe(sb);
    expect(counts).toEqual([1, 2, 1]);
  });

  it('keeps held envelopes for receive until delivered, and rejections only while nobody is subscribed', () => {
    const source = new EventEmitter<MessengerEvents>();
    const hub = new Hub(source);
    source.emit('held', { id: '3', from: 'carol', reason: 'KEY_CHANGED' });
    source.emit('held', { id: '3', from: 'carol', reason: 'KEY_CHANGED' }); // seen again after a reconnect: once
    source.emit('held', { id: '4', from: 'dave', reason: 'BUNDLE_INVALID' });
    source.emit('rejected', { id: '5', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'bad' });
    const held = [
      { type: 'held', id: '3', from: 'carol', reason: 'KEY_CHANGED' },
      { type: 'held', id: '4', from: 'dave', reason: 'BUNDLE_INVALID' },
    ];
    const rejected = [{ type: 'rejected', id: '5', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'bad' }];
    expect(hub.undelivered()).toEqual({ held, rejected });
    expect(hub.undelivered()).toEqual({ held, rejected: [] }); // still held; the rejection was told once
    source.emit('message', { ...message('3'), from: 'carol' }); // carol's key accepted: delivered after all
    expect(hub.undelivered().held.map((h) => h.id)).toEqual(['4']);
    hub.subscribe({ notify: () => {}, alive: () => true });
    source.emit('rejected', { id: '6', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'seen live' });
    expect(hub.undelivered().rejected).toEqual([]);
  });

  it(`keeps at most ${MAX_PENDING} messages for receive, dropping the oldest`, () => {
    const source = new EventEmitter<MessengerEvents>();
    const hub = new Hub(source);
    for (let i = 0; i < MAX_PENDING + 2; i++) source.emit('message', message(String(i)));
    const kept = hub.drain();
    expect(kept.length).toBe(MAX_PENDING);
    expect(kept[0]?.id).toBe('2');
  });
});

describe('methods', () => {
  const deps: MethodDeps = {
    version: '9.9.9',
    send: (to, _text, replyTo) =>
      to.startsWith('#')
        ? Promise.reject(new ChatError('NO_SUCH_GROUP', 'no such group'))
        : Promise.resolve({
            type: 'direct',
            to,
            id: 'ab'.repeat(16),
            ts: 5,
            state: 'sent',
            ...(replyTo === undefined ? {} : { replyTo }),
          }),
    contacts: () => [],
    history: (o) => [{ limit: o.limit, peer: o.peer }] as never,
    hub: {
      subscribe: () => {},
      unsubscribe: () => {},
      drain: () => [],
      undelivered: () => ({ held: [], rejected: [] }),
    },
  };
  const server = rpcServer(Promise.resolve(deps));
  const call = (method: string, params?: unknown) =>
    server.receive({ jsonrpc: '2.0', id: 1, method, params }, { subscriber: { notify: () => {}, alive: () => true } });

  it('checks params and answers with results or mapped errors', async () => {
    expect((await call('send', { recipient: 'bob', message: 'hi' }))?.result).toEqual({
      type: 'direct',
      to: 'bob',
      id: 'ab'.repeat(16),
      ts: 5,
      state: 'sent',
    });
    expect((await call('send', { recipient: '#team', message: 'hi' }))?.error).toMatchObject({
      code: -32003,
      data: { code: 'NO_SUCH_GROUP' },
    });
    expect((await call('send', { recipient: 'bob', message: 'yes', replyTo: 'cd'.repeat(16) }))?.result).toMatchObject({
      replyTo: 'cd'.repeat(16),
    });
    const badParams = [{ recipient: 'bob' }, { recipient: '', message: 'x' }, { recipient: 1, message: 'x' }, ['bob']];
    for (const bad of [...badParams, { recipient: 'bob', message: 'x', replyTo: 7 }])
      expect((await call('send', bad))?.error, JSON.stringify(bad)).toMatchObject({ code: -32602 });
    expect((await call('history'))?.result).toEqual([{ limit: 50 }]);
    expect((await call('history', { peer: 'bob', limit: 1000 }))?.result).toEqual([{ limit: 1000, peer: 'bob' }]);
    for (const limit of [0, 1001, 1.5, '5'])
      expect((await call('history', { limit }))?.error, String(limit)).toMatchObject({ code: -32602 });
    expect((await call('version'))?.result).toEqual({ version: '9.9.9', api: 1 });
    expect((await call('nope'))?.error).toMatchObject({ code: -32601 });
  });
});

describe('params', () => {
  it('reads targets, group ids, lists and paths, refusing anything else with USAGE', async () => {
    const { absolutePath, groupIdParam, intParam, optionalTarget, stringList } = await import('./params.js');
    expect(optionalTarget({ recipient: '#team' })).toBe('#team');
    expect(optionalTarget({ groupId: 'ab12cd34' })).toBe('group:ab12cd34');
    expect(optionalTarget({})).toBeUndefined();
    expect(() => optionalTarget({ recipient: 'bob', groupId: 'ab12cd34' })).toThrow(/not both/);
    expect(groupIdParam({ groupId: 'AB12CD34' })).toBe('ab12cd34');
    for (const groupId of ['team', 'ab12', 'g'.repeat(8), 7])
      expect(() => groupIdParam({ groupId }), String(groupId)).toThrow(ChatError);
    expect(stringList({ member: 'bob' }, 'member')).toEqual(['bob']);
    expect(stringList({ member: ['bob', 'carol'] }, 'member')).toEqual(['bob', 'carol']);
    for (const member of [[''], [1], {}]) expect(() => stringList({ member }, 'member')).toThrow(ChatError);
    expect(absolutePath({ path: '/tmp/x' }, 'path')).toBe('/tmp/x');
    expect(() => absolutePath({ path: 'x' }, 'path')).toThrow(/absolute/);
    expect(intParam({}, 'limit', 1, 5, 3)).toBe(3);
    for (const limit of [0, 6, 1.5, '2']) expect(() => intParam({ limit }, 'limit', 1, 5)).toThrow(ChatError);
  });
});
