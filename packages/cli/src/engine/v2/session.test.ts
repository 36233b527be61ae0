/**
 * The v2 session layer on two real stores (PROTOCOL.md §24): a session started from a bundle of the peer's own stored
 * prekeys, messages both ways, out of order and duplicated, a replayed first message, the last-resort keys. The
 * relay's part (handing out one-time keys) is played by `bundleOf`, which takes the keys from the peer's table.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  MessageKind,
  PrekeyType,
  type PrekeyBundle,
  fingerprint,
  fromUtf8,
  generateIdentity,
  randomMessageId,
  utf8,
} from '@chat/crypto';
import { Store } from '../store/store.js';
import type { Contact } from '../store/types.js';
import type { Self } from '../context.js';
import { SessionsChanged, type V2Opened, V2Opener, unsealV2 } from './open.js';
import { maintainPrekeys, published } from './prekeys.js';
import { currentSession, sealInSession, startSession } from './session.js';

interface Party extends Self {
  store: Store;
  contact: Contact;
}

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function party(username: string): Party {
  const identity = generateIdentity();
  const store = Store.open(':memory:', new Uint8Array(32));
  stores.push(store);
  const me = { username, identity };
  store.transaction(() => maintainPrekeys(me, store.v2, Date.now()));
  const contact: Contact = {
    username,
    identityPublicKey: identity.identity.publicKey,
    encryptionPublicKey: identity.encryption.publicKey,
    fingerprint: fingerprint(identity.identity.publicKey),
    firstSeen: 0,
    trust: 'unverified',
    verifiedAt: null,
    pending: null,
  };
  return { ...me, store, contact };
}

/** What the relay hands out (§18.4): the signed keys and, while any are left, one one-time key of each kind. */
function bundleOf(p: Party, oneTime = true): PrekeyBundle {
  const [spk] = p.store.v2.live(PrekeyType.x25519Signed);
  const opk = oneTime ? p.store.v2.live(PrekeyType.x25519OneTime)[0] : undefined;
  const pq = (oneTime && p.store.v2.live(PrekeyType.mlkemOneTime)[0]) || p.store.v2.live(PrekeyType.mlkemLastResort)[0];
  return {
    signedPrekey: published(spk!),
    pqPrekey: published(pq!),
    ...(opk ? { oneTimePrekey: published(opk) } : {}),
  };
}

interface Sent {
  id: Uint8Array;
  env: Uint8Array;
  text: string;
}

function send(from: Party, to: Party, text: string): Sent {
  const id = randomMessageId();
  const env = from.store.transaction(() => {
    const session = currentSession(from, to.contact) ?? startSession(from, to.contact, bundleOf(to), Date.now());
    return sealInSession(from, session, to.contact, { kind: MessageKind.text, id, ts: Date.now(), body: utf8(text) });
  });
  return { id, env, text };
}

/** One receive batch: opens `msgs` in order and commits them all in one transaction. */
function receive(to: Party, from: Party, msgs: readonly Sent[]): (string | V2Opened['outcome'] | string)[] {
  const opener = new V2Opener(to);
  const results = msgs.map((s) => opener.open(unsealV2(to, s.env), from.contact, s.id, Date.now()));
  to.store.transaction(() => {
    for (const r of results) if ('commit' in r && r.commit) r.commit();
    opener.saveSessions();
  });
  return results.map((r) =>
    r.outcome === 'ok' ? fromUtf8(r.plain.body) : r.outcome === 'rejected' ? r.code : r.outcome,
  );
}

describe('v2 sessions (§24)', () => {
  it('exchanges messages both ways, out of order and duplicated, in the session PQXDH started', () => {
    const alice = party('alice');
    const bob = party('bob');
    const [a1, a2, a3] = [send(alice, bob, 'one'), send(alice, bob, 'two'), send(alice, bob, 'three')];
    // Every message of an unanswered session carries the initiation: any of them may arrive first (§19.2).
    expect(receive(bob, alice, [a3, a1, a1])).toEqual(['three', 'one', 'duplicate']);
    expect(receive(bob, alice, [a2, a3])).toEqual(['two', 'duplicate']);
    const b1 = send(bob, alice, 'hi alice');
    expect(receive(alice, bob, [b1, b1])).toEqual(['hi alice', 'duplicate']);
    const a4 = send(alice, bob, 'answered');
    // The peer answered: no more initiation (1,130 bytes smaller than a first message of the same padded size).
    expect(a4.env.length).toBeLessThan(a1.env.length - 1000);
    expect(receive(bob, alice, [a4])).toEqual(['answered']);
    expect(bob.store.v2.isV2Peer('alice') && alice.store.v2.isV2Peer('bob')).toBe(true);
  });

  it('erases the one-time prekeys a first message used, once it has decrypted', () => {
    const alice = party('alice');
    const bob = party('bob');
    const opks = bob.store.v2.live(PrekeyType.x25519OneTime).length;
    const pqopks = bob.store.v2.live(PrekeyType.mlkemOneTime).length;
    const a1 = send(alice, bob, 'first');
    expect(receive(bob, alice, [a1])).toEqual(['first']);
    expect(bob.store.v2.live(PrekeyType.x25519OneTime).length).toBe(opks - 1);
    expect(bob.store.v2.live(PrekeyType.mlkemOneTime).length).toBe(pqopks - 1);
  });

  it('a first message that does not decrypt starts nothing: no replay recorded, no prekey erased', () => {
    const alice = party('alice');
    const bob = party('bob');
    const opks = bob.store.v2.live(PrekeyType.x25519OneTime).length;
    const a1 = send(alice, bob, 'first');
    const inner = unsealV2(bob, a1.env);
    const damaged = new Uint8Array(inner.payload);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 1; // the ratchet message's tag
    const opener = new V2Opener(bob);
    const r = opener.open({ ...inner, payload: damaged }, alice.contact, a1.id, Date.now());
    expect(r.outcome === 'rejected' && r.code).toBe('RATCHET_DECRYPT_FAILED');
    expect(bob.store.v2.sessions('alice')).toHaveLength(0);
    expect(bob.store.v2.live(PrekeyType.x25519OneTime).length).toBe(opks);
    // The genuine first message still starts the session (its replay key was not taken by the damaged copy).
    expect(receive(bob, alice, [a1])).toEqual(['first']);
  });

  it('starts a session from the signed and last-resort keys when no one-time key is left', () => {
    const alice = party('alice');
    const bob = party('bob');
    const id = randomMessageId();
    const env = alice.store.transaction(() => {
      const session = startSession(alice, bob.contact, bundleOf(bob, false), Date.now());
      return sealInSession(alice, session, bob.contact, { kind: MessageKind.text, id, ts: 1, body: utf8('lr') });
    });
    expect(receive(bob, alice, [{ id, env, text: 'lr' }])).toEqual(['lr']);
    // The last-resort key is not erased: the next initiator may use it too.
    expect(bob.store.v2.live(PrekeyType.mlkemLastResort)).toHaveLength(1);
  });

  it('refuses a replayed first message once its session is gone (PQXDH_REPLAY), and never shows it twice', () => {
    const alice = party('alice');
    const bob = party('bob');
    const id = randomMessageId();
    const env = alice.store.transaction(() => {
      const session = startSession(alice, bob.contact, bundleOf(bob, false), Date.now());
      return sealInSession(alice, session, bob.contact, { kind: MessageKind.text, id, ts: 1, body: utf8('once') });
    });
    const first = { id, env, text: 'once' };
    expect(receive(bob, alice, [first])).toEqual(['once']);
    expect(receive(bob, alice, [first])).toEqual(['duplicate']);
    // Bob's session with alice erased (more than four newer ones, §24.4): the initiation alone must not start another.
    (bob.store as unknown as { db: { exec(sql: string): void } }).db.exec('DELETE FROM v2_sessions');
    expect(receive(bob, alice, [first])).toEqual(['PQXDH_REPLAY']);
  });

  it('rejects a message relabelled with another sender (the associated data binds both names)', () => {
    const alice = party('alice');
    const bob = party('bob');
    const carol = party('carol');
    const a1 = send(alice, bob, 'from alice');
    // Bob believes it is from carol (a relay cannot do this, it cannot open the box; a test can).
    const [result] = receive(bob, carol, [a1]);
    expect(result).not.toBe('from alice');
  });

  it('never writes back a session another writer changed since the batch read it (no sending-chain rollback)', () => {
    const alice = party('alice');
    const bob = party('bob');
    expect(receive(bob, alice, [send(alice, bob, 'one')])).toEqual(['one']);
    expect(receive(alice, bob, [send(bob, alice, 'hi')])).toEqual(['hi']);
    expect(receive(bob, alice, [send(alice, bob, 'two')])).toEqual(['two']); // bob's DH ratchet step
    // In the same receiving chain: decrypting it leaves bob's sending chain as it was.
    const a2 = send(alice, bob, 'three');
    const opener = new V2Opener(bob);
    const r = opener.open(unsealV2(bob, a2.env), alice.contact, a2.id, Date.now()); // the batch reads the session
    if (r.outcome !== 'ok') throw new Error(`expected ok, got ${r.outcome}`);
    // Meanwhile (the batch awaiting a lookup) the outbox seals a message in the same session and stores it.
    const b2 = send(bob, alice, 'sent meanwhile');
    expect(() =>
      bob.store.transaction(() => {
        r.commit();
        opener.saveSessions();
      }),
    ).toThrow(SessionsChanged);
    // Nothing was written: the batch checked again opens it, and bob's sending chain is where b2 left it.
    expect(receive(bob, alice, [a2])).toEqual(['three']);
    const b3 = send(bob, alice, 'after');
    expect(receive(alice, bob, [b2, b3])).toEqual(['sent meanwhile', 'after']);
  });
});
