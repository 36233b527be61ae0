/** `fanout` (PROTOCOL.md §15.2) and public rooms (§15.6) on a real relay over real sockets. */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, type Identity } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

let relay: RunningRelay;
let tmp: ReturnType<typeof tempDir>;
const ids = new Map<string, Identity>();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function register(names: string[]) {
  for (const name of names) {
    const id = generateIdentity();
    ids.set(name, id);
    const c = await RawClient.connect(relay.port);
    expect(await c.login(name, id)).toMatchObject({ t: 'welcome' });
    c.close();
  }
}

async function client(name: string, mode: 'send' | 'recv' = 'send') {
  const c = await RawClient.connect(relay.port);
  expect(await c.login(name, ids.get(name)!, mode)).toMatchObject({ t: 'welcome' });
  return c;
}

async function drain(c: RawClient): Promise<MsgFrame[]> {
  const got: MsgFrame[] = [];
  for (;;) {
    const f = await c.next((x) => x.t === 'msg' || x.t === 'synced');
    if (f.t === 'synced') return got;
    got.push(f as MsgFrame);
  }
}

async function start(extra = {}) {
  tmp = tempDir('relay-fanout');
  relay = await relayInProcess(tmp.dir, extra);
  await register(['alice', 'bob', 'carol']);
}

afterEach(async () => {
  await relay.close();
  tmp.cleanup();
});

describe('fanout (§15.2)', () => {
  beforeEach(() => start());

  it('stores N envelopes with one reply carrying a result per recipient', async () => {
    const a = await client('alice');
    const msgIds = [randomMessageId(), randomMessageId(), randomMessageId()];
    const envs = [randomBytes(100), randomBytes(120), randomBytes(80)];
    a.send({ t: 'fanout', rid: 1, to: ['bob', 'nobody', 'carol'], ids: msgIds, envs });
    expect(await a.nextOfType('fanout_sent')).toEqual({ t: 'fanout_sent', rid: 1, codes: ['', 'UNKNOWN_USER', ''] });
    // A retry after a lost reply stores nothing twice.
    a.send({ t: 'fanout', rid: 2, to: ['bob', 'nobody', 'carol'], ids: msgIds, envs });
    expect(await a.nextOfType('fanout_sent')).toEqual({ t: 'fanout_sent', rid: 2, codes: ['', 'UNKNOWN_USER', ''] });
    for (const [name, i] of [
      ['bob', 0],
      ['carol', 2],
    ] as const) {
      const r = await client(name, 'recv');
      const got = await drain(r);
      expect(got.map((m) => hex(m.id))).toEqual([hex(msgIds[i]!)]);
      expect(hex(got[0]!.env)).toBe(hex(envs[i]!));
      r.close();
    }
    a.close();
  });

  it('forwards at once to recipients that are receiving, in mailbox order with plain sends', async () => {
    const b = await client('bob', 'recv');
    await drain(b);
    const a = await client('alice');
    const first = randomMessageId();
    a.send({ t: 'send', rid: 1, to: 'bob', id: first, env: randomBytes(60) });
    await a.nextOfType('sent');
    const second = randomMessageId();
    a.send({
      t: 'fanout',
      rid: 2,
      to: ['carol', 'bob'],
      ids: [randomMessageId(), second],
      envs: [randomBytes(60), randomBytes(60)],
    });
    expect((await a.nextOfType('fanout_sent')).codes).toEqual(['', '']);
    const m1 = await b.nextOfType('msg');
    const m2 = await b.nextOfType('msg');
    expect([hex(m1.id), hex(m2.id)]).toEqual([hex(first), hex(second)]);
    a.close();
    b.close();
  });

  it('refuses arrays of different lengths with a fatal BAD_FRAME and keeps serving others', async () => {
    const a = await client('alice');
    const b = await client('bob');
    a.send({
      t: 'fanout',
      rid: 1,
      to: ['bob', 'carol'],
      ids: [randomMessageId()],
      envs: [randomBytes(60), randomBytes(60)],
    });
    expect(await a.nextOfType('err')).toMatchObject({ code: 'BAD_FRAME', fatal: true });
    await a.closedPromise;
    b.send({ t: 'ping', rid: 9 });
    expect(await b.nextOfType('pong')).toEqual({ t: 'pong', rid: 9 });
    // Nothing of the refused frame was stored.
    const c = await client('carol', 'recv');
    expect(await drain(c)).toEqual([]);
    b.close();
    c.close();
  });
});

describe('fanout quota', () => {
  beforeEach(() => start({ quota: { maxMessages: 1 } }));

  it('reports MAILBOX_FULL for the full mailbox only', async () => {
    const a = await client('alice');
    a.send({ t: 'send', rid: 1, to: 'bob', id: randomMessageId(), env: randomBytes(60) });
    await a.nextOfType('sent');
    a.send({
      t: 'fanout',
      rid: 2,
      to: ['bob', 'carol'],
      ids: [randomMessageId(), randomMessageId()],
      envs: [randomBytes(60), randomBytes(60)],
    });
    expect((await a.nextOfType('fanout_sent')).codes).toEqual(['MAILBOX_FULL', '']);
    a.close();
  });
});

describe('rooms (§15.6)', () => {
  beforeEach(() => start({ rooms: ['general', 'random'] }));

  it('lists rooms, joins, lists members, leaves; membership survives a restart', async () => {
    const a = await client('alice');
    a.send({ t: 'room', rid: 1, op: 'list' });
    expect(await a.nextOfType('rooms')).toEqual({ t: 'rooms', rid: 1, names: ['general', 'random'] });
    a.send({ t: 'room', rid: 2, op: 'join', room: 'general' });
    expect(await a.nextOfType('room_members')).toEqual({
      t: 'room_members',
      rid: 2,
      room: 'general',
      users: ['alice'],
    });
    const b = await client('bob');
    b.send({ t: 'room', rid: 3, op: 'join', room: 'general' });
    b.send({ t: 'room', rid: 4, op: 'join', room: 'general' });
    await b.nextOfType('room_members');
    expect((await b.nextOfType('room_members')).users).toEqual(['alice', 'bob']);
    a.close();
    b.close();

    await relay.close();
    relay = await relayInProcess(tmp.dir, { rooms: ['general', 'random'] });
    const c = await client('carol');
    c.send({ t: 'room', rid: 5, op: 'members', room: 'general' });
    expect((await c.nextOfType('room_members')).users).toEqual(['alice', 'bob']);
    const b2 = await client('bob');
    b2.send({ t: 'room', rid: 6, op: 'leave', room: 'general' });
    expect((await b2.nextOfType('room_members')).users).toEqual(['alice']);
    c.close();
    b2.close();
  });

  it('answers an unknown or missing room with a non-fatal UNKNOWN_ROOM', async () => {
    const a = await client('alice');
    a.send({ t: 'room', rid: 1, op: 'join', room: 'secret' });
    expect(await a.nextOfType('err')).toMatchObject({ rid: 1, code: 'UNKNOWN_ROOM', fatal: false });
    a.send({ t: 'room', rid: 2, op: 'members' });
    expect(await a.nextOfType('err')).toMatchObject({ rid: 2, code: 'UNKNOWN_ROOM', fatal: false });
    a.send({ t: 'ping', rid: 3 });
    expect(await a.nextOfType('pong')).toEqual({ t: 'pong', rid: 3 });
    a.close();
  });

  it('refuses a malformed room frame (bad op) with a fatal BAD_FRAME', async () => {
    const a = await client('alice');
    a.sendUnchecked({ t: 'room', rid: 1, op: 'destroy', room: 'general' });
    expect(await a.nextOfType('err')).toMatchObject({ code: 'BAD_FRAME', fatal: true });
    a.close();
  });
});
