import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MessageKind,
  generateIdentity,
  openEnvelope,
  randomMessageId,
  sealEnvelope,
  utf8,
  verifyEnvelopeSignature,
  type Identity,
} from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { until } from '../fixtures/wait.js';

let relay: RunningRelay;
let tmp: ReturnType<typeof tempDir>;
let alice: Identity;
let bob: Identity;

beforeEach(async () => {
  tmp = tempDir('relay-delivery');
  relay = await relayInProcess(tmp.dir);
  alice = generateIdentity();
  bob = generateIdentity();
  // register both
  for (const [name, id] of [
    ['alice', alice],
    ['bob', bob],
  ] as const) {
    const c = await RawClient.connect(relay.port);
    await c.login(name, id);
    c.close();
  }
});
afterEach(async () => {
  await relay.close();
  tmp.cleanup();
});

function envelopeFor(text: string, id = randomMessageId()) {
  const env = sealEnvelope(
    { kind: MessageKind.text, from: 'alice', to: 'bob', id, ts: Date.now(), body: utf8(text) },
    alice.identity.secretKey,
    bob.encryption.publicKey,
  );
  return { id, env };
}

async function sendAll(c: RawClient, texts: string[]) {
  const sent = texts.map((t) => envelopeFor(t));
  sent.forEach((s, rid) => c.send({ t: 'send', rid, to: 'bob', id: s.id, env: s.env }));
  for (let rid = 0; rid < sent.length; rid++) {
    expect(await c.next((f) => 'rid' in f && f.rid === rid)).toMatchObject({ t: 'sent', rid });
  }
  return sent;
}

async function drain(c: RawClient): Promise<MsgFrame[]> {
  const got: MsgFrame[] = [];
  for (;;) {
    const f = await c.next((x) => x.t === 'msg' || x.t === 'synced');
    if (f.t === 'synced') return got;
    got.push(f as MsgFrame);
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('mailboxes and delivery (PROTOCOL.md §9)', () => {
  it('stores for an offline recipient and delivers in order at login, then synced', async () => {
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const sent = await sendAll(a, ['one', 'two', 'three']);
    const b = await RawClient.connect(relay.port);
    await b.login('bob', bob, 'recv');
    const got = await drain(b);
    expect(got.map((m) => hex(m.id))).toEqual(sent.map((s) => hex(s.id)));
    const opened = openEnvelope(got[1]!.env, { username: 'bob', encryption: bob.encryption }, got[1]!.id);
    verifyEnvelopeSignature(opened, alice.identity.publicKey);
    expect(Buffer.from(opened.body).toString()).toBe('two');
    a.close();
    b.close();
  });

  it('forwards at once to an online recipient', async () => {
    const b = await RawClient.connect(relay.port);
    await b.login('bob', bob, 'recv');
    await b.nextOfType('synced');
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const [s] = await sendAll(a, ['live']);
    const m = await b.nextOfType('msg');
    expect(hex(m.id)).toBe(hex(s!.id));
    expect(hex(m.env)).toBe(hex(s!.env));
    a.close();
    b.close();
  });

  it('deletes on ack and redelivers what was not acknowledged', async () => {
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const sent = await sendAll(a, ['m1', 'm2', 'm3']);
    const b1 = await RawClient.connect(relay.port);
    await b1.login('bob', bob, 'recv');
    const first = await drain(b1);
    expect(first).toHaveLength(3);
    b1.send({ t: 'ack', ids: [first[0]!.id, first[2]!.id, randomMessageId()] });
    b1.send({ t: 'ping', rid: 1 });
    await b1.nextOfType('pong'); // acks are processed in order before the ping's answer
    b1.close();
    await b1.closedPromise;
    await until(() => relay.connections() === 1, "the relay to end bob's session"); // only alice's left
    const b2 = await RawClient.connect(relay.port);
    await b2.login('bob', bob, 'recv');
    const again = await drain(b2);
    expect(again.map((m) => hex(m.id))).toEqual([hex(sent[1]!.id)]);
    b2.send({ t: 'ack', ids: [again[0]!.id] });
    b2.send({ t: 'ping', rid: 2 });
    await b2.nextOfType('pong');
    b2.close();
    await b2.closedPromise;
    await until(() => relay.connections() === 1, "the relay to end bob's session");
    const b3 = await RawClient.connect(relay.port);
    await b3.login('bob', bob, 'recv');
    expect(await drain(b3)).toEqual([]);
    a.close();
    b3.close();
  });

  it('stores a retried send once and acknowledges it both times', async () => {
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const s = envelopeFor('retry me');
    a.send({ t: 'send', rid: 1, to: 'bob', id: s.id, env: s.env });
    a.send({ t: 'send', rid: 2, to: 'bob', id: s.id, env: s.env });
    expect(await a.next((f) => 'rid' in f && f.rid === 1)).toMatchObject({ t: 'sent' });
    expect(await a.next((f) => 'rid' in f && f.rid === 2)).toMatchObject({ t: 'sent' });
    const b = await RawClient.connect(relay.port);
    await b.login('bob', bob, 'recv');
    expect(await drain(b)).toHaveLength(1);
    a.close();
    b.close();
  });

  it('answers UNKNOWN_USER for a send to nobody and keeps the connection', async () => {
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const s = envelopeFor('lost?');
    a.send({ t: 'send', rid: 3, to: 'nobody', id: s.id, env: s.env });
    expect(await a.nextOfType('err')).toMatchObject({ rid: 3, code: 'UNKNOWN_USER', fatal: false });
    a.send({ t: 'ping', rid: 4 });
    expect(await a.nextOfType('pong')).toEqual({ t: 'pong', rid: 4 });
    a.close();
  });

  it('refuses with MAILBOX_FULL at the quota and stores nothing more', async () => {
    await relay.close();
    relay = await relayInProcess(tmp.dir, { quota: { maxMessages: 2 } });
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    await sendAll(a, ['q1', 'q2']);
    const s = envelopeFor('q3');
    a.send({ t: 'send', rid: 9, to: 'bob', id: s.id, env: s.env });
    expect(await a.nextOfType('err')).toMatchObject({ rid: 9, code: 'MAILBOX_FULL', fatal: false });
    const b = await RawClient.connect(relay.port);
    await b.login('bob', bob, 'recv');
    expect(await drain(b)).toHaveLength(2);
    a.close();
    b.close();
  });

  it('keeps acknowledged envelopes across a restart and expires old ones', async () => {
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const sent = await sendAll(a, ['survives']);
    a.close();
    await relay.close();
    relay = await relayInProcess(tmp.dir);
    const b = await RawClient.connect(relay.port);
    await b.login('bob', bob, 'recv');
    expect((await drain(b)).map((m) => hex(m.id))).toEqual([hex(sent[0]!.id)]);
    b.close();
    await b.closedPromise;
    await relay.close();
    // 31 days later the unacknowledged envelope has expired (30-day default).
    relay = await relayInProcess(tmp.dir, { now: () => Date.now() + 31 * 24 * 3600 * 1000 });
    const b2 = await RawClient.connect(relay.port);
    await b2.login('bob', bob, 'recv');
    expect(await drain(b2)).toEqual([]);
    b2.close();
  });

  it('tells connected clients when it shuts down', async () => {
    const b = await RawClient.connect(relay.port);
    await b.login('bob', bob, 'recv');
    await b.nextOfType('synced');
    const closing = relay.close();
    expect(await b.nextOfType('err')).toMatchObject({ code: 'SHUTTING_DOWN', fatal: true });
    await closing;
    await b.closedPromise;
    relay = await relayInProcess(tmp.dir); // for afterEach
  });

  it('stores no plaintext of what was sent', async () => {
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const secret = 'the launch code is 7-7-1-7 zebra';
    await sendAll(a, [secret]);
    a.close();
    await relay.close();
    const files = readdirSync(tmp.dir).map((f) => readFileSync(join(tmp.dir, f)));
    expect(files.length).toBeGreaterThan(0);
    for (const bytes of files) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from('zebra'))).toBe(false);
    }
    relay = await relayInProcess(tmp.dir);
  });
});
