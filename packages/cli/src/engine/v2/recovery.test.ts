/**
 * Recovery of lost v2 sessions (PROTOCOL.md §24.7) on the engine, over the relay in process: a receiver whose
 * database is gone (what a restore from a backup leaves: no sessions, no prekeys) gets what was sent meanwhile, each
 * message exactly once, with a notice on both sides, and the conversation goes on both ways; a resend request never
 * makes its recipient send what it did not send to the requester, nor anything twice; a stream of undecryptable
 * envelopes makes one request, not one per envelope.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MessageKind, fromHex, randomMessageId, seal, toHex, x25519KeyPair } from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { withholdPrekeys } from '../../../test/relay-db.js';
import type { RecoveryEvent } from '../events.js';
import type { Messenger } from '../messenger.js';
import type { Connection } from '../net/connection.js';
import { ENVELOPE_V2, encodeInnerV2 } from './envelope.js';

const world = engineWorld('v2-recovery');

interface Received {
  bodies: string[];
  duplicates: number;
  rejected: string[];
  recovery: Omit<RecoveryEvent, 'type'>[];
}

/** Everything `m` receives now (one `chat recv`), with the rejections and recovery notices. */
async function receiveAll(m: Messenger): Promise<Received> {
  const r: Received = { bodies: [], duplicates: 0, rejected: [], recovery: [] };
  const onMessage = (msg: { body: string }): void => void r.bodies.push(msg.body);
  const onRejected = (e: { code: string }): void => void r.rejected.push(e.code);
  const onRecovery = ({ type: _, ...e }: RecoveryEvent): void => void r.recovery.push(e);
  m.on('message', onMessage);
  m.on('rejected', onRejected);
  m.on('recovery', onRecovery);
  try {
    r.duplicates = (await m.receive()).duplicates;
  } finally {
    m.off('message', onMessage);
    m.off('rejected', onRejected);
    m.off('recovery', onRecovery);
  }
  return r;
}

interface Captured {
  id: Uint8Array;
  env: Uint8Array;
}

async function sendConn(m: Messenger): Promise<Connection> {
  const conn = await m.connect('send');
  world.cleanup(() => conn.close());
  return conn;
}

/** Sends `texts` from `m` to `to` over `conn`, recording each envelope as it went to the relay. */
async function sendCaptured(m: Messenger, conn: Connection, to: string, texts: string[]): Promise<Captured[]> {
  const out: Captured[] = [];
  const send = conn.send.bind(conn);
  conn.send = async (peer, id, env, options) => {
    out.push({ id: Uint8Array.from(id), env: Uint8Array.from(env) });
    await send(peer, id, env, options);
  };
  for (const text of texts) m.queueMessage(to, text);
  await m.flushOutbox(conn);
  conn.send = send;
  return out;
}

/** Closes `m` and removes its database files: no sessions, prekeys or history, as after a restore (§13.2). */
async function loseDatabase(m: Messenger, user: string): Promise<Messenger> {
  m.close();
  for (const f of ['chat.db', 'chat.db-wal', 'chat.db-shm']) rmSync(join(world.home(user), f), { force: true });
  return world.open(user);
}

describe('recovery of a lost session (§24.7)', () => {
  it('messages sent to the lost session arrive once each, with a notice on both sides; then both ways', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    let bob = await world.open(b);
    await alice.sendMessage(b, 'hello');
    expect((await receiveAll(bob)).bodies).toEqual(['hello']);
    await bob.sendMessage(a, 'hi');
    expect((await receiveAll(alice)).bodies).toEqual(['hi']);
    await receiveAll(bob); // alice's delivery receipt for 'hi'

    bob = await loseDatabase(bob, b);
    const conn = await sendConn(alice);
    const lost = await sendCaptured(alice, conn, b, ['lost one', 'lost two']);
    const ids = lost.map((c) => toHex(c.id));
    const failed = await receiveAll(bob);
    expect(failed).toMatchObject({ bodies: [], rejected: ['NO_SESSION', 'NO_SESSION'] });
    expect(failed.recovery).toEqual([{ action: 'asked', peer: a, ids }]);

    const asked = await receiveAll(alice);
    expect(asked.recovery).toEqual([{ action: 'resent', peer: b, ids }]);
    expect(await receiveAll(bob)).toMatchObject({ bodies: ['lost one', 'lost two'], rejected: [], recovery: [] });

    // Exactly once: the original envelopes delivered again are duplicates now, and touch no session.
    for (const c of lost) await conn.send(b, c.id, c.env);
    expect(await receiveAll(bob)).toMatchObject({ bodies: [], duplicates: 2, rejected: [], recovery: [] });

    await bob.sendMessage(a, 'back again');
    expect((await receiveAll(alice)).bodies).toEqual(['back again']);
    await alice.sendMessage(b, 'welcome back');
    expect(await receiveAll(bob)).toMatchObject({ bodies: ['welcome back'], rejected: [] });
    await receiveAll(alice); // bob's receipts: the resent messages were delivered like the others
    expect(
      alice
        .history({ peer: b })
        .filter((m) => m.direction === 'out')
        .map((m) => m.state),
    ).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });

  it('a first message naming prekeys the receiver lost (PREKEY_UNKNOWN) is recovered too', async () => {
    const { a, b } = await world.pair();
    let bob = await world.open(b);
    await receiveAll(bob); // bob's prekeys are on the relay
    const alice = await world.open(a);
    const [first] = await sendCaptured(alice, await sendConn(alice), b, ['first contact']);
    bob = await loseDatabase(bob, b);
    const failed = await receiveAll(bob);
    expect(failed.rejected).toEqual(['PREKEY_UNKNOWN']);
    expect(failed.recovery).toEqual([{ action: 'asked', peer: a, ids: [toHex(first!.id)] }]);
    expect((await receiveAll(alice)).recovery).toEqual([{ action: 'resent', peer: b, ids: [toHex(first!.id)] }]);
    expect(await receiveAll(bob)).toMatchObject({ bodies: ['first contact'], rejected: [] });
  });

  it('resends only what was sent to the requester, and each id once', async () => {
    const [a, b, c] = (await world.users('alice', 'bob', 'carol')) as [string, string, string];
    const alice = await world.open(a);
    const bob = await world.open(b);
    const toCarol = await alice.sendMessage(c, 'for carol only');
    const toBob = await alice.sendMessage(b, 'for bob');
    expect((await receiveAll(bob)).bodies).toEqual(['for bob']);
    const ask = async (ids: string[]): Promise<void> => {
      const body = Uint8Array.from(Buffer.concat(ids.map((id) => fromHex(id))));
      const id = toHex(randomMessageId());
      bob.store.outbox.enqueue({ id, peer: a, kind: MessageKind.resendRequest, body, ts: Date.now() });
      await bob.flushOutbox(await sendConn(bob));
    };
    const unknown = toHex(randomMessageId());
    await ask([toCarol.id, unknown, toBob.id, toBob.id]);
    expect((await receiveAll(alice)).recovery).toEqual([{ action: 'resent', peer: b, ids: [toBob.id] }]);
    // Bob holds that one already: a duplicate. Carol's never reaches him.
    expect(await receiveAll(bob)).toMatchObject({ bodies: [], duplicates: 1, rejected: [] });
    // Asked again: nothing is resent twice (two broken clients cannot ping-pong).
    await ask([toBob.id, toCarol.id]);
    expect((await receiveAll(alice)).recovery).toEqual([]);
    expect(await receiveAll(bob)).toMatchObject({ bodies: [], duplicates: 0, rejected: [] });
  });

  it('a stream of undecryptable envelopes makes one request until the peer writes again', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    const bob = await world.open(b);
    await alice.sendMessage(b, 'hello');
    expect((await receiveAll(bob)).bodies).toEqual(['hello']);
    // Anyone can seal a v2 envelope that claims to be from alice (`from` is only a hint, §24.1); none decrypts.
    const forger = await sendConn(alice);
    const forge = async (n: number): Promise<void> => {
      for (let k = 0; k < n; k++) {
        // A fresh ratchet key, PN = N = 0, then noise: a new DH step whose AEAD fails (RATCHET_DECRYPT_FAILED).
        const message = Uint8Array.from([...x25519KeyPair().publicKey, ...new Uint8Array(8), ...randomBytes(96)]);
        const inner = encodeInnerV2(a, null, message);
        const sealed = seal(inner, bob.identity.encryption.publicKey);
        await forger.send(b, randomMessageId(), Uint8Array.from([ENVELOPE_V2, ...sealed]));
      }
    };
    await forge(20);
    const first = await receiveAll(bob);
    expect(first.rejected).toEqual(Array(20).fill('RATCHET_DECRYPT_FAILED'));
    expect(first.recovery.map((r) => [r.action, r.ids.length])).toEqual([['asked', 20]]);
    await forge(20);
    const second = await receiveAll(bob);
    expect(second.rejected).toHaveLength(20);
    expect(second.recovery).toEqual([]); // the request to alice is still open
    // Alice knows none of those ids: nothing is resent. Her next real message answers the request.
    expect((await receiveAll(alice)).recovery).toEqual([]);
    await alice.sendMessage(b, 'real');
    const third = await receiveAll(bob);
    expect(third.bodies).toEqual(['real']);
    expect(third.recovery.map((r) => [r.action, r.ids.length])).toEqual([['asked', 20]]);
  });
  it('a request dropped for want of prekeys does not stay open: the next failure asks again, with its ids', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    let bob = await world.open(b);
    await alice.sendMessage(b, 'hello');
    expect((await receiveAll(bob)).bodies).toEqual(['hello']);
    bob = await loseDatabase(bob, b);
    const conn = await sendConn(alice);
    const [one] = await sendCaptured(alice, conn, b, ['lost one']);
    // A relay that withholds alice's prekeys (NO_PREKEYS): the request cannot be sealed and is dropped.
    const putBack = withholdPrekeys(join(world.dir(), 'relay'), a);
    try {
      const failed = await receiveAll(bob);
      expect(failed.rejected).toEqual(['PREKEY_UNKNOWN']); // alice's session still carries its initiation
      expect(failed.recovery).toEqual([{ action: 'asked', peer: a, ids: [toHex(one!.id)] }]);
    } finally {
      putBack();
    }
    expect(bob.store.outbox.list()).toEqual([]);
    // Alice still writes in the session bob lost: before the fix the dropped request stayed open, nothing was asked.
    const [two] = await sendCaptured(alice, conn, b, ['lost two']);
    const again = await receiveAll(bob);
    expect(again.recovery).toEqual([{ action: 'asked', peer: a, ids: [toHex(one!.id), toHex(two!.id)] }]);
    expect((await receiveAll(alice)).recovery).toEqual([
      { action: 'resent', peer: b, ids: [toHex(one!.id), toHex(two!.id)] },
    ]);
    expect(await receiveAll(bob)).toMatchObject({ bodies: ['lost one', 'lost two'], rejected: [] });
  });
});
