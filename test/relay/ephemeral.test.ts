/** Ephemeral sends (PROTOCOL.md §9 "Ephemeral") and presence (`who`, §6.1) against the real relay over TCP. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageKind, generateIdentity, randomMessageId, sealEnvelope, type Identity } from '@chat/crypto';
import type { RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

let relay: RunningRelay;
let tmp: ReturnType<typeof tempDir>;
let alice: Identity;
let bob: Identity;
const open: RawClient[] = [];

async function client(user: string, identity: Identity, mode: 'recv' | 'send'): Promise<RawClient> {
  const c = await RawClient.connect(relay.port);
  open.push(c);
  expect(await c.login(user, identity, mode)).toMatchObject({ t: 'welcome' });
  return c;
}

function typing(id = randomMessageId()) {
  const env = sealEnvelope(
    { kind: MessageKind.typing, from: 'alice', to: 'bob', id, ts: Date.now(), body: Uint8Array.of(1) },
    alice.identity.secretKey,
    bob.encryption.publicKey,
  );
  return { id, env };
}

beforeEach(async () => {
  tmp = tempDir('relay-ephemeral');
  relay = await relayInProcess(tmp.dir);
  alice = generateIdentity();
  bob = generateIdentity();
  (await client('alice', alice, 'send')).close();
  (await client('bob', bob, 'send')).close();
});
afterEach(async () => {
  open.splice(0).forEach((c) => c.close());
  await relay.close();
  tmp.cleanup();
});

describe('ephemeral send', () => {
  it('is forwarded to an online receiver as msg with eph, answered sent, and never stored', async () => {
    const bobRecv = await client('bob', bob, 'recv');
    await bobRecv.nextOfType('synced');
    const a = await client('alice', alice, 'send');
    const t = typing();
    a.send({ t: 'send', rid: 1, to: 'bob', id: t.id, env: t.env, eph: true });
    expect(await a.nextOfType('sent')).toMatchObject({ rid: 1 });
    const got = await bobRecv.nextOfType('msg');
    expect(got.eph).toBe(true);
    expect(Buffer.from(got.id).equals(Buffer.from(t.id))).toBe(true);
    expect(Buffer.from(got.env).equals(Buffer.from(t.env))).toBe(true);
    // Not stored: a new receiving session gets nothing but `synced`.
    bobRecv.close();
    await bobRecv.closedPromise;
    const again = await client('bob', bob, 'recv');
    await again.nextOfType('synced');
    expect(again.frames.filter((f) => f.t === 'msg')).toHaveLength(0);
  });

  it('to a user with no recv session: NOT_ONLINE (not fatal), nothing stored, the session goes on', async () => {
    const a = await client('alice', alice, 'send');
    const t = typing();
    a.send({ t: 'send', rid: 2, to: 'bob', id: t.id, env: t.env, eph: true });
    expect(await a.nextOfType('err')).toMatchObject({ rid: 2, code: 'NOT_ONLINE', fatal: false });
    a.send({ t: 'ping', rid: 3 });
    expect(await a.nextOfType('pong')).toMatchObject({ rid: 3 });
    const bobRecv = await client('bob', bob, 'recv');
    await bobRecv.nextOfType('synced');
    expect(bobRecv.frames.filter((f) => f.t === 'msg')).toHaveLength(0);
  });

  it('to an unknown user: UNKNOWN_USER', async () => {
    const a = await client('alice', alice, 'send');
    const t = typing();
    a.send({ t: 'send', rid: 4, to: 'nobody', id: t.id, env: t.env, eph: true });
    expect(await a.nextOfType('err')).toMatchObject({ rid: 4, code: 'UNKNOWN_USER', fatal: false });
  });

  it('eph: false is an ordinary, stored send', async () => {
    const a = await client('alice', alice, 'send');
    const t = typing();
    a.send({ t: 'send', rid: 5, to: 'bob', id: t.id, env: t.env, eph: false });
    expect(await a.nextOfType('sent')).toMatchObject({ rid: 5 });
    const bobRecv = await client('bob', bob, 'recv');
    const got = await bobRecv.nextOfType('msg');
    expect(got.eph).toBeUndefined();
  });

  it('a malformed eph field is a fatal BAD_FRAME; other clients keep being served', async () => {
    const a = await client('alice', alice, 'send');
    const t = typing();
    a.sendUnchecked({ t: 'send', rid: 6, to: 'bob', id: t.id, env: t.env, eph: 1 });
    expect(await a.nextOfType('err')).toMatchObject({ code: 'BAD_FRAME', fatal: true });
    await a.closedPromise;
    const b = await client('bob', bob, 'send');
    b.send({ t: 'ping', rid: 1 });
    expect(await b.nextOfType('pong')).toMatchObject({ rid: 1 });
  });
});

describe('who', () => {
  it('lists the users with a recv session, sorted; send sessions do not count', async () => {
    const a = await client('alice', alice, 'send');
    a.send({ t: 'who', rid: 1 });
    expect(await a.nextOfType('online')).toEqual({ t: 'online', rid: 1, users: [] });
    const bobRecv = await client('bob', bob, 'recv');
    const aliceRecv = await client('alice', alice, 'recv');
    a.send({ t: 'who', rid: 2 });
    expect(await a.nextOfType('online')).toEqual({ t: 'online', rid: 2, users: ['alice', 'bob'] });
    bobRecv.close();
    await bobRecv.closedPromise;
    // The relay notices the close asynchronously; ask until it has.
    let users: string[] = [];
    for (let rid = 3; rid < 3_000; rid++) {
      a.send({ t: 'who', rid });
      users = (await a.nextOfType('online')).users;
      if (users.length === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(users).toEqual(['alice']);
    aliceRecv.close();
  });

  it('before authentication is a fatal PROTOCOL_STATE', async () => {
    const c = await RawClient.connect(relay.port);
    open.push(c);
    await c.hello();
    c.send({ t: 'who', rid: 1 });
    expect(await c.nextOfType('err')).toMatchObject({ code: 'PROTOCOL_STATE', fatal: true });
  });
});
