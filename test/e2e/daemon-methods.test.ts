/**
 * Every JSON-RPC method of docs/JSONRPC.md against real daemons (alice's and bob's, prepared profiles) and a real
 * relay: each call's result as documented, what the other side then sees (its daemon's notifications), and the
 * typed error of a bad call. Then `chat jsonrpc` over stdin/stdout, through a daemon and in a session of its own.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_BIN, aliceAndBob, chat, newUser, startChat, type Running } from './harness.js';
import { RpcClient, type RpcNotification } from '../helpers/rpc-client.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';

type Obj = Record<string, unknown>;

async function startDaemon(home: string): Promise<Running> {
  const d = startChat(['daemon', '--json'], { home });
  await d.waitFor(/"event":"connection","state":"online"/);
  return d;
}

/** The result of a call that must succeed (the error object in the failure message otherwise). */
async function ok<T = Obj>(rpc: RpcClient, method: string, params?: unknown): Promise<T> {
  const r = await rpc.call(method, params);
  expect(r.error, `${method} ${JSON.stringify(params)}`).toBeUndefined();
  return r.result as T;
}

/** A call that must fail with the CLI's error code `name` (its JSON-RPC code follows from it: rpc-errors.ts). */
async function fails(rpc: RpcClient, method: string, params: unknown, name: string): Promise<void> {
  const r = await rpc.call(method, params);
  expect(r.error, `${method} ${JSON.stringify(params)}`).toMatchObject({ data: { code: name } });
}

const is =
  (type: string, f: (p: Obj) => boolean = () => true) =>
  (n: RpcNotification) =>
    n.params.type === type && f(n.params);

describe('chat daemon: every method', () => {
  let t: TempDir;
  let relay: TestRelay;
  let homes: { alice: string; bob: string; carol: string };
  let daemons: Running[] = [];
  let a: RpcClient;
  let b: RpcClient;

  beforeAll(async () => {
    const ab = await aliceAndBob('daemon-methods');
    ({ t, relay } = ab);
    homes = { alice: ab.alice, bob: ab.bob, carol: await newUser(t.dir, 'carol', relay) };
    daemons = await Promise.all([startDaemon(homes.alice), startDaemon(homes.bob)]);
    a = await RpcClient.connect(join(homes.alice, 'daemon.sock'));
    b = await RpcClient.connect(join(homes.bob, 'daemon.sock'));
    await ok(a, 'subscribe');
    await ok(b, 'subscribe');
  });
  // A test that fails (a notification that never came times out the test) shows what each daemon did see.
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const [who, rpc, d] of [
      ['alice', a, daemons[0]],
      ['bob', b, daemons[1]],
    ] as const) {
      const seen = rpc?.notifications.map((n) => JSON.stringify(n.params)) ?? [];
      console.error(
        `${who} saw ${seen.length} notifications:\n${seen.join('\n')}\n${who}'s daemon stderr:\n${d?.stderr()}`,
      );
    }
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    for (const d of daemons) if (d.proc.exitCode === null) d.proc.kill('SIGTERM');
    await Promise.all(daemons.map((d) => d.exit));
    await relay?.stop();
    t?.cleanup();
  });

  it('send, edit (send with editId), sendReaction, remoteDelete, deleteForMe', async () => {
    const sent = await ok<{ id: string }>(b, 'send', { recipient: 'alice', message: 'version one' });
    await a.notification(is('message', (p) => p.id === sent.id));
    const edited = await ok(b, 'send', { recipient: 'alice', message: 'version two', editId: sent.id.slice(0, 8) });
    expect(edited).toEqual({ target: sent.id, conv: 'alice', seq: 1, failed: [] });
    await a.notification(is('edit', (p) => p.target === sent.id && p.body === 'version two'));
    await fails(b, 'send', { recipient: 'carol', message: 'x', editId: sent.id }, 'NO_SUCH_MESSAGE');

    expect(await ok(a, 'sendReaction', { recipient: 'bob', targetId: sent.id, emoji: '👍' })).toMatchObject({
      target: sent.id,
      conv: 'bob',
    });
    await b.notification(is('reaction', (p) => p.target === sent.id && p.emoji === '👍'));
    await ok(a, 'sendReaction', { targetId: sent.id, emoji: '👍', remove: true });
    await b.notification(is('reaction', (p) => p.target === sent.id && p.emoji === ''));
    await fails(a, 'sendReaction', { targetId: sent.id }, 'USAGE');
    await fails(a, 'sendReaction', { targetId: 'not-an-id', emoji: 'x' }, 'USAGE');

    await ok(b, 'remoteDelete', { recipient: 'alice', targetId: sent.id });
    await a.notification(is('delete', (p) => p.target === sent.id));
    await fails(a, 'remoteDelete', { targetId: sent.id }, 'NOT_AUTHOR');
    expect(await ok(a, 'deleteForMe', { targetId: sent.id })).toEqual({ target: sent.id, conv: 'bob', failed: [] });
    const left = await ok<{ id: string }[]>(a, 'history', { recipient: 'bob' });
    expect(left.map((e) => e.id)).not.toContain(sent.id);
  });

  it('sendReceipt, sendTyping, history of a conversation, search', async () => {
    const sent = await ok<{ id: string }>(b, 'send', { recipient: 'alice', message: 'please read me' });
    await a.notification(is('message', (p) => p.id === sent.id));
    const receipt = await ok<{ ids: string[] }>(a, 'sendReceipt', { recipient: 'bob' });
    expect(receipt.ids).toContain(sent.id);
    await b.notification(
      (n) =>
        n.method === 'event' && n.params.type === 'delivery' && n.params.id === sent.id && n.params.state === 'read',
    );
    await fails(a, 'sendReceipt', { recipient: 'bob', type: 'viewed' }, 'USAGE');
    expect(await ok(a, 'sendTyping', { recipient: 'bob' })).toEqual({ sent: true });
    expect(await ok(a, 'sendTyping', { recipient: 'bob', stop: true })).toEqual({ sent: true });
    await fails(a, 'sendTyping', { recipient: 'bob', stop: 'yes' }, 'USAGE');

    const h = await ok<Obj[]>(b, 'history', { recipient: 'alice', limit: 1 });
    expect(h).toEqual([expect.objectContaining({ type: 'message', id: sent.id, from: 'bob', body: 'please read me' })]);
    const cli = (await chat(['history', 'alice', '--limit', '1', '--json'], { home: homes.bob })).stdout;
    expect(JSON.parse(cli)).toEqual(h[0]); // the same object as `chat history --json`
    await fails(b, 'history', { recipient: 'alice', before: 'ffffffff' }, 'NO_SUCH_MESSAGE');
    const found = await ok<Obj[]>(b, 'search', { text: 'READ ME', recipient: 'alice' });
    expect(found.map((e) => e.id)).toEqual([sent.id]);
    await fails(b, 'search', {}, 'USAGE');
  });

  it('groups: updateGroup (create, add, rename, timer, remove), acceptGroup, listGroups, send, quitGroup', async () => {
    await fails(b, 'updateGroup', { name: 'team' }, 'USAGE');
    const g = await ok<{ id: string; members: Obj[] }>(b, 'updateGroup', { name: 'team', member: ['alice'] });
    expect(g).toMatchObject({ name: 'team', version: 1, member: true, failed: [] });
    expect(g.members).toEqual([
      { user: 'alice', admin: false },
      { user: 'bob', admin: true },
    ]);
    await a.notification(is('group_event', (p) => p.kind === 'invite' && p.group === g.id));
    expect(await ok(a, 'listGroups')).toEqual([expect.objectContaining({ id: g.id, pending: true, invitedBy: 'bob' })]);
    await fails(a, 'send', { groupId: g.id, message: 'too early' }, 'GROUP_PENDING');
    expect(await ok(a, 'acceptGroup', { groupId: g.id.slice(0, 8) })).toMatchObject({ id: g.id, member: true });

    const s = await ok(b, 'send', { groupId: g.id, message: 'hello team' });
    expect(s).toMatchObject({ type: 'conversation', to: '#team', failed: [] });
    await a.notification(is('message', (p) => p.kind === 'group' && p.body === 'hello team'));

    const changed = await ok<{ members: Obj[] }>(b, 'updateGroup', {
      groupId: g.id,
      name: 'crew',
      member: 'carol',
      expiration: 3600,
    });
    expect(changed).toMatchObject({ name: 'crew', version: 3 });
    expect(changed.members.map((m) => m.user)).toEqual(['alice', 'bob', 'carol']);
    expect(await ok(b, 'getExpiration', { groupId: g.id })).toEqual({ conv: '#crew', seconds: 3600, setBy: 'bob' });
    await fails(a, 'updateGroup', { groupId: g.id, removeMember: 'carol' }, 'NOT_GROUP_ADMIN');

    expect(await ok(b, 'updateGroup', { groupId: g.id, removeMember: ['carol'] })).toMatchObject({ version: 4 });
    // One step after another: a failing one says what was done before it (only UNKNOWN_USER was said: hunt2).
    const partial = await b.call('updateGroup', { groupId: g.id, name: 'crew2', member: ['nobody'] });
    expect(partial.error).toMatchObject({ data: { code: 'UNKNOWN_USER' } });
    expect(partial.error?.message).toMatch(/\(done before it: renamed it to crew2\)$/);
    expect(await ok(b, 'updateGroup', { groupId: g.id, name: 'crew' })).toMatchObject({ name: 'crew', version: 6 });
    await fails(b, 'updateGroup', { groupId: g.id }, 'USAGE');
    await fails(b, 'updateGroup', { groupId: 'xyz', name: 'x' }, 'USAGE');

    expect(await ok(a, 'quitGroup', { groupId: g.id })).toMatchObject({ id: g.id, member: false, failed: [] });
    await b.notification(is('group_event', (p) => p.kind === 'event' && p.group === g.id && p.from === 'alice'));
    expect(await ok(b, 'listGroups', { groupId: g.id })).toEqual([
      expect.objectContaining({ name: 'crew', members: [{ user: 'bob', admin: true }] }),
    ]);
    await fails(a, 'declineGroup', { groupId: 'ffffffff' }, 'NO_SUCH_GROUP');
  });

  it('rooms: joinRoom, listRooms, listRoomMembers, send to a room, leaveRoom', async () => {
    expect(await ok(b, 'joinRoom', { room: '#general' })).toEqual({ room: 'general', members: ['bob'] });
    expect(await ok(a, 'joinRoom', { room: 'general' })).toEqual({ room: 'general', members: ['alice', 'bob'] });
    expect(await ok(a, 'listRooms')).toEqual([{ name: 'general', joined: true }]);
    expect(await ok(b, 'listRoomMembers', { room: 'general' })).toEqual({ room: 'general', members: ['alice', 'bob'] });
    await ok(b, 'send', { recipient: 'room:general', message: 'hi room' });
    await a.notification(is('message', (p) => p.kind === 'room' && p.body === 'hi room'));
    expect(await ok(a, 'leaveRoom', { room: 'general' })).toEqual({ room: 'general', members: ['bob'] });
    await fails(a, 'joinRoom', {}, 'USAGE');
  });

  it('contacts: verify, trust, block, unblock, updateContact (nickname, timer), getExpiration', async () => {
    const mine = await ok<{ safetyNumber: string }>(b, 'verify', { recipient: 'alice' });
    const theirs = await ok<{ safetyNumber: string }>(a, 'verify', { recipient: 'bob' });
    expect(mine.safetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(mine.safetyNumber).toBe(theirs.safetyNumber);
    await fails(b, 'trust', { recipient: 'alice', verifiedSafetyNumber: '1'.repeat(60) }, 'SAFETY_NUMBER_MISMATCH');
    expect(await ok(b, 'trust', { recipient: 'alice', verifiedSafetyNumber: mine.safetyNumber })).toMatchObject({
      username: 'alice',
      trust: 'verified',
      acceptedNewKey: false,
    });
    await fails(b, 'trust', { recipient: 'nobody' }, 'NO_SUCH_CONTACT');

    expect(await ok(b, 'block', { recipient: 'Carol' })).toEqual({
      username: 'carol',
      blocked: true,
      changed: true,
      queued: [],
    });
    await fails(b, 'send', { recipient: 'carol', message: 'x' }, 'BLOCKED');
    expect(await ok(b, 'unblock', { recipient: 'carol' })).toEqual({
      username: 'carol',
      blocked: false,
      changed: true,
      queued: [],
    });

    expect(await ok(b, 'updateContact', { recipient: 'alice', name: 'Al' })).toEqual({
      username: 'alice',
      nickname: 'Al',
    });
    expect((await chat(['contacts', '--json'], { home: homes.bob })).stdout).toContain('"nickname":"Al"');
    expect(await ok(b, 'updateContact', { recipient: 'alice', name: null })).toEqual({
      username: 'alice',
      nickname: null,
    });
    await fails(b, 'updateContact', { recipient: 'alice', name: 'a\u202eb' }, 'USAGE');

    expect(await ok(b, 'updateContact', { recipient: 'alice', expiration: 60 })).toMatchObject({ expiration: 60 });
    await a.notification(is('expire', (p) => p.from === 'bob' && p.seconds === 60));
    expect(await ok(a, 'getExpiration', { recipient: 'bob' })).toEqual({ conv: 'bob', seconds: 60, setBy: 'bob' });
    await ok(a, 'updateContact', { recipient: 'bob', expiration: 0 });
    await b.notification(is('expire', (p) => p.from === 'alice' && p.seconds === 0));
    expect(await ok(b, 'getExpiration', { recipient: 'alice' })).toEqual({ conv: 'alice', seconds: 0, setBy: 'alice' });
    await fails(b, 'updateContact', { recipient: 'alice', expiration: -1 }, 'USAGE');
  });

  it('files: sendFile, listFiles, acceptFile, declineFile', async () => {
    const file = join(t.dir, 'report.txt');
    writeFileSync(file, 'quarterly numbers\n');
    await fails(b, 'sendFile', { recipient: 'alice', path: 'report.txt' }, 'USAGE');
    const offer = await ok<{ id: string }>(b, 'sendFile', { recipient: 'alice', path: file });
    expect(offer).toMatchObject({ direction: 'out', peer: 'alice', name: 'report.txt', size: 18 });
    const n = await a.notification((x) => x.method === 'event' && x.params.type === 'file');
    expect(n.params).toMatchObject({ kind: 'offer', transfer: { id: offer.id, name: 'report.txt' } });
    expect(await ok(a, 'listFiles')).toEqual([expect.objectContaining({ id: offer.id, direction: 'in' })]);
    const dir = join(t.dir, 'downloads');
    const got = await ok<{ path: string }>(a, 'acceptFile', { id: offer.id.slice(0, 8), dir });
    expect(got).toMatchObject({ id: offer.id, state: 'received' });
    expect(readFileSync(got.path, 'utf8')).toBe('quarterly numbers\n');
    await b.notification((x) => x.method === 'event' && x.params.type === 'file' && x.params.kind === 'answer');
    await fails(a, 'declineFile', { id: 'ffffffff' }, 'NO_SUCH_TRANSFER');
  });

  it('chat edit, react, delete, verify and trust ask the daemon while it runs', async () => {
    const env = { CHAT_RELAY: '127.0.0.1:1' }; // unreachable: a command that opened its own session would fail
    const run = (...args: string[]) => chat(args, { home: homes.bob, env });
    const sent = await ok<{ id: string }>(b, 'send', { recipient: 'alice', message: 'through the commands' });
    await a.notification(is('message', (p) => p.id === sent.id));
    const edited = await run('edit', '--json', sent.id, 'edited by chat edit');
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(edited.stdout)).toEqual({ target: sent.id, conv: 'alice', seq: 1 });
    await a.notification(is('edit', (p) => p.target === sent.id && p.body === 'edited by chat edit'));
    expect(await run('react', sent.id.slice(0, 8), '🎉')).toMatchObject({
      code: 0,
      stdout: `reacted: ${sent.id} (alice)\n`,
    });
    await a.notification(is('reaction', (p) => p.target === sent.id && p.emoji === '🎉'));
    expect(await run('delete', sent.id)).toMatchObject({
      code: 0,
      stdout: `deleted for everyone: ${sent.id} (alice)\n`,
    });
    await a.notification(is('delete', (p) => p.target === sent.id));
    const missing = await run('edit', 'ffffffff', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('(NO_SUCH_MESSAGE)');

    const v = await run('verify', 'alice', '--json');
    expect(v.code).toBe(0);
    const view = JSON.parse(v.stdout) as { safetyNumber: string };
    expect(view).toMatchObject({ username: 'alice', safetyNumber: expect.stringMatching(/^(\d{5} ){11}\d{5}$/) });
    expect((await run('verify', 'alice', '--no-qr')).stdout).toContain(
      `chat trust alice --verify "${view.safetyNumber}"`,
    );
    const t = await run('trust', 'alice', '--verify', view.safetyNumber);
    expect(t).toMatchObject({ code: 0, stderr: '' });
    expect(t.stdout).toContain('alice is verified (safety numbers match)');
    const wrong = await run('trust', 'alice', '--verify', '1'.repeat(60));
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('(SAFETY_NUMBER_MISMATCH)');
  });

  /** `chat jsonrpc` for `home`, its stdin and stdout as one duplex stream. */
  function jsonrpcProcess(home: string) {
    const proc = spawn(process.execPath, [CHAT_BIN, 'jsonrpc'], {
      env: { PATH: process.env.PATH ?? '', HOME: home, CHAT_HOME: home, TZ: 'UTC' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((r) => proc.once('close', (code) => r(code)));
    const rpc = RpcClient.over(Duplex.from({ readable: proc.stdout, writable: proc.stdin }));
    return { proc, rpc, exit, stderr: () => stderr };
  }

  it('chat jsonrpc passes requests to the running daemon and exits 0 when stdin ends', async () => {
    const j = jsonrpcProcess(homes.bob);
    expect(await ok(j.rpc, 'version')).toMatchObject({ api: 1 });
    const sent = await ok<{ id: string }>(j.rpc, 'send', { recipient: 'alice', message: 'over stdio' });
    await a.notification(is('message', (p) => p.id === sent.id));
    j.proc.stdin.end();
    expect(await j.exit).toBe(0);
    expect(j.stderr()).toBe('');
  });

  it('chat jsonrpc without a daemon opens its own session: subscribe, receive, send, exit on end of stdin', async () => {
    const j = jsonrpcProcess(homes.carol);
    await ok(j.rpc, 'subscribe');
    await ok(b, 'send', { recipient: 'carol', message: 'to a bot on stdio' });
    const n = await j.rpc.notification(is('message', (p) => p.body === 'to a bot on stdio'));
    expect(n.params).toMatchObject({ from: 'bob', to: 'carol' });
    await ok(j.rpc, 'send', { recipient: 'bob', message: 'answer from stdio' });
    await b.notification(is('message', (p) => p.from === 'carol' && p.body === 'answer from stdio'));
    expect((await j.rpc.call('noSuchMethod')).error).toMatchObject({ code: -32601 });
    j.proc.stdin.end();
    expect(await j.exit).toBe(0);
    expect(j.stderr()).toBe('');
  });
});
