/**
 * Protocol v2 end to end on the engine (PROTOCOL.md §23, §24): two Messengers over the relay in process, prekeys
 * published at login, first contact by PQXDH, messages in the Double Ratchet both ways, out of order and duplicated;
 * one-time keys exhausted; a replayed first message; forward secrecy against a copy of the relay's data directory
 * and the recipient's whole profile (with the v1 control); post-compromise security; no downgrade to v1.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import {
  MessageKind,
  PrekeyType,
  decodeInitiation,
  deserializeRatchetState,
  fromUtf8,
  openEnvelope,
  pqxdhRespond,
  ratchetDecrypt,
  ratchetInitResponder,
  randomMessageId,
  sealEnvelope,
  utf8,
} from '@chat/crypto';
import { describe, expect, it } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { takeFromMailbox, withholdPrekeys } from '../../../test/relay-db.js';
import type { Messenger } from '../messenger.js';
import type { Connection } from '../net/connection.js';
import { Store } from '../store/store.js';
import { V2Rejection } from './envelope.js';
import { isV2Envelope, unsealV2 } from './open.js';
import { keyPairOf } from './prekeys.js';
import { partyOf } from './session.js';

const world = engineWorld('v2');

type Held = ReturnType<typeof takeFromMailbox>[number];

interface Captured {
  to: string;
  id: Uint8Array;
  env: Uint8Array;
}

/** Makes `conn.send` record what it is given (what an observer of the wire sees), and send it. */
function capture(conn: Connection, out: Captured[]): void {
  const send = conn.send.bind(conn);
  conn.send = async (to, id, env, options) => {
    out.push({ to, id: Uint8Array.from(id), env: Uint8Array.from(env) });
    await send(to, id, env, options);
  };
}

/** Everything `m` receives now, as bodies, with the receive summary. */
async function receiveAll(m: Messenger): Promise<{ bodies: string[]; duplicates: number; rejected: string[] }> {
  const bodies: string[] = [];
  const rejected: string[] = [];
  const onMessage = (msg: { body: string }): void => void bodies.push(msg.body);
  const onRejected = (r: { code: string }): void => void rejected.push(r.code);
  m.on('message', onMessage);
  m.on('rejected', onRejected);
  const summary = await m.receive();
  m.off('message', onMessage);
  m.off('rejected', onRejected);
  return { bodies, duplicates: summary.duplicates, rejected };
}

/** Queues `text` and sends the outbox over `conn` (which a test may have instrumented). */
async function sendOver(m: Messenger, conn: Connection, to: string, text: string): Promise<void> {
  m.queueMessage(to, text);
  await m.flushOutbox(conn);
}

async function sendConn(m: Messenger): Promise<Connection> {
  const conn = await m.connect('send');
  world.cleanup(() => conn.close());
  return conn;
}

describe('v2 1:1 messages (§24)', () => {
  it('first contact while the recipient is offline, then both ways, every envelope v2', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    const bob = await world.open(b);
    const sent: Captured[] = [];
    const conn = await sendConn(alice);
    expect(conn.speaksV2).toBe(true);
    capture(conn, sent);
    for (const text of ['one', 'two', 'three']) await sendOver(alice, conn, b, text);
    expect(sent.every((s) => isV2Envelope(s.env))).toBe(true);
    expect(await receiveAll(bob)).toMatchObject({ bodies: ['one', 'two', 'three'], rejected: [] });
    await bob.sendMessage(a, 'hi alice');
    expect((await receiveAll(alice)).bodies).toEqual(['hi alice']);
    await alice.sendMessage(b, 'after the answer');
    expect((await receiveAll(bob)).bodies).toEqual(['after the answer']);
    expect(alice.store.v2.isV2Peer(b) && bob.store.v2.isV2Peer(a)).toBe(true);
  });

  it('out of order and duplicated: each message shown once', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    const bob = await world.open(b);
    const conn = await sendConn(alice);
    for (const text of ['m1', 'm2', 'm3', 'm4']) await sendOver(alice, conn, b, text);
    // The relay withholds all four (it reported them stored), then delivers them out of order and one twice.
    const held = takeFromMailbox(join(world.dir(), 'relay'), b, 4);
    expect(held).toHaveLength(4);
    const [m1, m2, m3, m4] = held as [Held, Held, Held, Held];
    const raw = await sendConn(alice);
    for (const m of [m3, m1]) await raw.send(b, m.id, m.env);
    expect((await receiveAll(bob)).bodies).toEqual(['m3', 'm1']);
    // m1 again (acknowledged, so the relay stores it anew), then m4 and m2.
    for (const m of [m1, m4, m2]) await raw.send(b, m.id, m.env);
    const r = await receiveAll(bob);
    expect(r.bodies).toEqual(['m4', 'm2']);
    expect(r.duplicates).toBe(1);
    expect(r.rejected).toEqual([]);
  });

  it('one-time keys exhausted: the session starts from the signed and last-resort keys', async () => {
    const { a, b } = await world.pair();
    const [carol] = (await world.users('carol')) as [string];
    const alice = await world.open(a);
    const bob = await world.open(b);
    // Carol's one-time budget (§23.6) hands out at most 30 one-time keys at once; after that, signed keys only.
    const drainer = await sendConn(await world.open(carol));
    let bundle = await drainer.prekeyGet(b);
    while (bundle?.opk !== undefined) bundle = await drainer.prekeyGet(b);
    expect(bundle?.pqType).toBe(PrekeyType.mlkemLastResort);
    // Alice fetches from the same account's budget: use carol's exhausted view by exhausting alice's too.
    const conn = await sendConn(alice);
    let own = await conn.prekeyGet(b);
    while (own?.opk !== undefined) own = await conn.prekeyGet(b);
    await sendOver(alice, conn, b, 'via the last resort');
    const [session] = alice.store.v2.sessions(b);
    const { initiation } = decodeInitiation(Uint8Array.from([...session!.initiation!, ...new Uint8Array(56)]));
    expect([initiation.oneTimePrekeyId, initiation.pqPrekeyType]).toEqual([undefined, PrekeyType.mlkemLastResort]);
    expect((await receiveAll(bob)).bodies).toEqual(['via the last resort']);
  });

  it('a replayed first message is not shown again', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    const bob = await world.open(b);
    const sent: Captured[] = [];
    const conn = await sendConn(alice);
    capture(conn, sent);
    await sendOver(alice, conn, b, 'only once');
    expect((await receiveAll(bob)).bodies).toEqual(['only once']);
    await conn.send(b, sent[0]!.id, sent[0]!.env);
    expect(await receiveAll(bob)).toMatchObject({ bodies: [], duplicates: 1, rejected: [] });
  });
});

describe('forward secrecy and post-compromise security', () => {
  /** Copies the relay's SQLite files (the database and its WAL) and reads `user`'s mailbox from the copy. */
  function copyRelay(user: string, into: string): Captured[] {
    mkdirSync(into, { recursive: true });
    const from = join(world.dir(), 'relay');
    for (const f of ['relay.db', 'relay.db-wal', 'relay.db-shm']) {
      if (existsSync(join(from, f))) copyFileSync(join(from, f), join(into, f));
    }
    const db = new Database(join(into, 'relay.db'));
    try {
      const rows = db.prepare('SELECT id, envelope FROM envelopes WHERE recipient = ? ORDER BY seq').all(user) as {
        id: Buffer;
        envelope: Buffer;
      }[];
      return rows.map((r) => ({ to: user, id: new Uint8Array(r.id), env: new Uint8Array(r.envelope) }));
    } finally {
      db.close();
    }
  }

  /**
   * Everything an attacker holding `home`'s whole profile (unlocked keys, chat.db) can make of `captured`: v1 opened
   * with the identity; v2 unsealed, then every stored session state tried and, for a first message, PQXDH redone
   * with whatever prekeys the profile still holds. Returns the bodies recovered.
   */
  async function attack(home: string, me: string, peer: Messenger, captured: readonly Captured[]): Promise<string[]> {
    const { Profile } = await import('../profile.js');
    const profile = new Profile(home);
    const { identity, storageKey } = await profile.unlockKeys(undefined); // the whole profile: the history's key too
    const store = Store.open(profile.dbPath, storageKey);
    const recovered: string[] = [];
    try {
      for (const c of captured) {
        if (!isV2Envelope(c.env)) {
          const opened = openEnvelope(c.env, { username: me, encryption: identity.encryption }, c.id);
          recovered.push(fromUtf8(opened.body));
          continue;
        }
        const inner = unsealV2({ username: me, identity, store }, c.env);
        let message = inner.payload;
        const states = store.v2.sessions(inner.from).map((s) => deserializeRatchetState(s.state));
        if (inner.initiation) {
          const { initiation, rest } = decodeInitiation(inner.payload);
          message = rest;
          const spk = store.v2.prekey(PrekeyType.x25519Signed, initiation.signedPrekeyId);
          const opk =
            initiation.oneTimePrekeyId === undefined
              ? undefined
              : store.v2.prekey(PrekeyType.x25519OneTime, initiation.oneTimePrekeyId);
          const pq = store.v2.prekey(initiation.pqPrekeyType, initiation.pqPrekeyId);
          if (spk && pq && (initiation.oneTimePrekeyId === undefined || opk)) {
            const pair = { publicKey: spk.publicKey, secretKey: spk.secret };
            const contact = store.contacts.get(inner.from)!;
            const { sharedSecret, associatedData } = pqxdhRespond(identity, me, partyOf(contact), initiation, {
              signedPrekey: pair,
              pqPrekey: keyPairOf(pq),
              ...(opk ? { oneTimePrekey: { publicKey: opk.publicKey, secretKey: opk.secret } } : {}),
            });
            states.push(ratchetInitResponder(sharedSecret, associatedData, pair));
          }
        }
        for (const state of states) {
          try {
            const { plaintext } = ratchetDecrypt(state, message);
            recovered.push(fromUtf8(plaintext.subarray(25)).replace(/\u0080\u0000*$/, ''));
            break;
          } catch {}
        }
      }
    } catch (err) {
      if (!(err instanceof V2Rejection)) throw err;
    } finally {
      store.close();
    }
    void peer;
    return recovered;
  }

  for (const version of [2, 1] as const) {
    it(`a copy of the relay's data plus the recipient's whole profile recovers ${version === 2 ? 'no body (v2)' : 'every body (v1, the control)'}`, async () => {
      const { a, b, bHome } = await world.pair();
      const alice = await world.open(a);
      const conn = await sendConn(alice);
      if (version === 1) conn.prekeyGet = async () => null; // a relay that gives no prekeys: v1 (allowed here)
      const bodies = ['secret one', 'secret two', 'secret three'];
      for (const text of bodies) await sendOver(alice, conn, b, text);
      // Bob is offline: the relay holds the envelopes. The attacker copies its data directory now.
      const captured = copyRelay(b, join(world.dir(), `capture-${a}`));
      expect(captured).toHaveLength(3);
      expect(captured.every((c) => isV2Envelope(c.env) === (version === 2))).toBe(true);
      const bob = await world.open(b);
      expect((await receiveAll(bob)).bodies).toEqual(bodies);
      // A reply and its answer move both ratchets on; then the attacker gets bob's profile (and passphrase: none).
      await bob.sendMessage(a, 'ok');
      await receiveAll(alice);
      bob.close();
      const recovered = await attack(bHome, b, alice, captured);
      expect(recovered).toEqual(version === 2 ? [] : bodies);
    });
  }

  it('post-compromise: a snapshot of a session decrypts nothing sent after one round trip', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    const bob = await world.open(b);
    await alice.sendMessage(b, 'hello');
    await receiveAll(bob);
    await bob.sendMessage(a, 'hi');
    await receiveAll(alice);
    // The attacker copies bob's session state now (bob's current ratchet key pair with it).
    const snapshot = bob.store.v2.sessions(a).map((s) => deserializeRatchetState(s.state));
    expect(snapshot.length).toBeGreaterThan(0);
    const decryptable = (c: Captured): boolean => {
      const inner = unsealV2({ username: b, identity: bob.identity, store: bob.store }, c.env);
      return snapshot.some((state) => {
        try {
          ratchetDecrypt(state, inner.payload);
          return true;
        } catch {
          return false;
        }
      });
    };
    const conn = await sendConn(alice);
    const sent: Captured[] = [];
    capture(conn, sent);
    // Alice answers under a key agreed with bob's snapshotted ratchet key: the snapshot still reads it.
    await sendOver(alice, conn, b, 'before healing');
    await receiveAll(bob);
    expect(decryptable(sent[0]!)).toBe(true);
    // The round trip: bob answers with a ratchet key made after the snapshot, alice's next chain uses it.
    await bob.sendMessage(a, 'round trip');
    await receiveAll(alice);
    await sendOver(alice, conn, b, 'after healing');
    expect(decryptable(sent[1]!)).toBe(false);
    expect((await receiveAll(bob)).bodies).toEqual(['after healing']);
  });
});

describe('no downgrade (§24.5)', () => {
  it('refuses a v1 envelope from a peer that has used v2, and will not send it v1', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    const bob = await world.open(b);
    await alice.sendMessage(b, 'v2 first');
    expect((await receiveAll(bob)).bodies).toEqual(['v2 first']);
    // A v1 envelope, correctly signed by alice, delivered to bob: refused.
    const id = randomMessageId();
    const env = sealEnvelope(
      { kind: MessageKind.text, from: a, to: b, id, ts: Date.now(), body: utf8('downgraded') },
      alice.identity.identity.secretKey,
      bob.identity.encryption.publicKey,
    );
    const conn = await sendConn(alice);
    await conn.send(b, id, env);
    expect(await receiveAll(bob)).toMatchObject({ bodies: [], rejected: ['ENVELOPE_DOWNGRADE'] });
    // Bob's delivery receipt (v2) reaches alice: bob has used v2 with her too.
    await receiveAll(alice);
    expect(alice.store.v2.isV2Peer(b)).toBe(true);
    // Alice's sessions lost and the relay withholding bob's prekeys: the message stays queued, never v1.
    (alice.store as unknown as { db: Database.Database }).db.exec('DELETE FROM v2_sessions');
    world.cleanup(withholdPrekeys(join(world.dir(), 'relay'), b));
    const blocked: string[] = [];
    alice.on('blocked', (e) => blocked.push(e.reason));
    await sendOver(alice, conn, b, 'must not go v1');
    expect(blocked).toEqual(['DOWNGRADE_REFUSED']);
    expect(alice.store.outbox.list().map((e) => [e.peer, e.env])).toEqual([[b, undefined]]);
  });

  it('a one-shot send that would go v1 fails with V2_UNAVAILABLE (exit 8) unless v1 is allowed', async () => {
    const { a, b } = await world.pair();
    const alice = await world.open(a);
    // The relay withholds bob's prekeys for the rest of this test.
    world.cleanup(withholdPrekeys(join(world.dir(), 'relay'), b));
    await expect(alice.sendMessage(b, 'no v2', undefined, { allowV1: false })).rejects.toMatchObject({
      code: 'V2_UNAVAILABLE',
      exitCode: 8,
    });
    expect(alice.store.outbox.list()).toEqual([]);
    await alice.sendMessage(b, 'v1 allowed', undefined, { allowV1: true });
  });
});
