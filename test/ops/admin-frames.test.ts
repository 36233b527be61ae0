/**
 * Administration over the protocol (PROTOCOL.md §14) against the real relay: only admins named in the config may use
 * `admin`; kick, ban, unban, invite-only registration, listing without content, shutdown. The admin side goes through
 * the client engine's `adminOn`, the function the interactive UI's `/admin` commands call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, generateIdentity, randomMessageId, type Identity } from '@chat/crypto';
import type { RunningRelay } from '@chat/relay';
import { Connection } from '../../packages/cli/src/engine/net/connection.js';
import { adminOn } from '../../packages/cli/src/engine/admin.js';
import { ChatError } from '../../packages/cli/src/engine/errors.js';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const tmp = tempDir('admin-frames');
let relay: RunningRelay;
let admin: Connection;
const root: Identity = generateIdentity();

function open(
  username: string,
  identity: Identity,
  mode: 'send' | 'recv' = 'send',
  invite?: string,
): Promise<Connection> {
  return Connection.open({ address: { host: '127.0.0.1', port: relay.port }, username, identity, mode, invite });
}

async function refusal(p: Promise<unknown>): Promise<ChatError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ChatError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  relay = await relayInProcess(tmp.dir, {
    admins: [`root:${fingerprint(root.identity.publicKey)}`],
    registration: 'invite',
  });
  admin = await open('root', root); // an admin registers without an invite, with the key bound to the name (§14.1)
});
afterAll(async () => {
  await admin.close();
  await relay.close();
  tmp.cleanup();
});

describe('invite-only registration (§14.3)', () => {
  it('refuses a new name without an invite, and with a bad one', async () => {
    expect((await refusal(open('carol', generateIdentity()))).code).toBe('INVITE_REQUIRED');
    expect((await refusal(open('carol', generateIdentity(), 'send', 'f'.repeat(40)))).code).toBe('INVITE_INVALID');
  });

  it('an invite registers exactly one name, once; the name then logs in without it', async () => {
    const answer = await adminOn(admin, { op: 'invite' });
    expect(answer.op).toBe('invite');
    const code = (answer as { invite: string }).invite;
    expect(code).toMatch(/^[0-9a-f]{40}$/);
    const carol = generateIdentity();
    const c = await open('carol', carol, 'send', code);
    expect(c.registered).toBe(true);
    await c.close();
    expect((await refusal(open('dave', generateIdentity(), 'send', code))).code).toBe('INVITE_INVALID');
    const again = await open('carol', carol);
    expect(again.registered).toBe(false);
    await again.close();
  });
});

describe('admin operations (§14.2)', () => {
  let bob: Identity;
  beforeAll(async () => {
    bob = generateIdentity();
    const { invite } = (await adminOn(admin, { op: 'invite' })) as { invite: string };
    const b = await open('bob', bob, 'send', invite);
    await b.close();
  });

  it('a user who is not an admin gets FORBIDDEN, and stays connected', async () => {
    const b = await open('bob', bob);
    const e = await refusal(b.admin({ op: 'users' }));
    expect(e.code).toBe('FORBIDDEN');
    await b.ping();
    await b.close();
  });

  it('users lists accounts with online state and mailbox depth and size, never content', async () => {
    const sender = await RawClient.connect(relay.port);
    await sender.login('root', root, 'send');
    const env = new Uint8Array(300).fill(0x42);
    sender.send({ t: 'send', rid: 1, to: 'bob', id: randomMessageId(), env });
    sender.send({ t: 'send', rid: 2, to: 'bob', id: randomMessageId(), env });
    await sender.nextOfType('sent');
    await sender.nextOfType('sent');
    sender.close();
    const b = await open('bob', bob, 'send');
    const answer = await adminOn(admin, { op: 'users' });
    expect(answer.op).toBe('users');
    if (answer.op !== 'users') return;
    expect(answer.users.map((u) => u.username)).toEqual(['bob', 'carol', 'root']);
    expect(answer.users[0]).toMatchObject({ username: 'bob', online: true, banned: false, depth: 2, bytes: 600 });
    expect(answer.users[1]).toMatchObject({ username: 'carol', online: false, depth: 0 });
    expect(answer.more).toBe(false);
    expect(JSON.stringify(answer)).not.toContain('BBBB'); // 0x42 bytes of the envelope appear nowhere
    const page = await adminOn(admin, { op: 'users', after: 'bob' });
    expect(page.op === 'users' && page.users.map((u) => u.username)).toEqual(['carol', 'root']);
    const stats = await adminOn(admin, { op: 'stats' });
    expect(stats).toMatchObject({ op: 'stats', users: 3, queued: 2, queuedBytes: 600 });
    await b.close();
  });

  it('kick closes every session of the user with KICKED and the reason', async () => {
    const r = await open('bob', bob, 'recv');
    r.resume();
    const s = await open('bob', bob, 'send');
    const closed = [r, s].map((c) => new Promise<ChatError | undefined>((res) => c.once('close', res)));
    expect(await adminOn(admin, { op: 'kick', user: 'bob', reason: 'maintenance' })).toEqual({ op: 'kick' });
    for (const err of await Promise.all(closed)) {
      expect(err?.code).toBe('KICKED');
      expect(err?.message).toContain('kicked by an admin: maintenance');
    }
    expect((await refusal(adminOn(admin, { op: 'kick', user: 'bob' }))).code).toBe('UNKNOWN_USER'); // no session now
  });

  it('ban ends live sessions with BANNED and refuses logins; unban lets it back in', async () => {
    const s = await open('bob', bob);
    const closed = new Promise<ChatError | undefined>((res) => s.once('close', res));
    await adminOn(admin, { op: 'ban', user: 'bob', reason: 'spam' });
    expect((await closed)?.code).toBe('BANNED');
    const e = await refusal(open('bob', bob));
    expect(e.code).toBe('BANNED');
    expect(e.exitCode).toBe(6);
    const list = await adminOn(admin, { op: 'users' });
    expect(list.op === 'users' && list.users.find((u) => u.username === 'bob')?.banned).toBe(true);
    expect((await refusal(adminOn(admin, { op: 'ban', user: 'root' }))).code).toBe('FORBIDDEN'); // admins cannot be banned
    await adminOn(admin, { op: 'unban', user: 'bob' });
    const back = await open('bob', bob);
    await back.close();
    expect((await refusal(adminOn(admin, { op: 'unban', user: 'bob' }))).code).toBe('UNKNOWN_USER');
  });

  it('shutdown answers, tells every client SHUTTING_DOWN, and stops the relay', async () => {
    const watcher = await RawClient.connect(relay.port);
    await watcher.hello(); // a connection that has not authenticated is told too
    const b = await open('bob', bob, 'recv');
    b.resume();
    const closed = new Promise<ChatError | undefined>((res) => b.once('close', res));
    expect(await adminOn(admin, { op: 'shutdown' })).toEqual({ op: 'shutdown' });
    expect((await closed)?.code).toBe('SHUTTING_DOWN');
    expect(await watcher.nextOfType('err')).toMatchObject({ code: 'SHUTTING_DOWN', fatal: true });
    await watcher.closedPromise;
    for (const deadline = Date.now() + 60_000; relay.connections() > 0 && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 20));
    expect(relay.connections()).toBe(0);
    await expect(RawClient.connect(relay.port)).rejects.toThrow();
  });
});
