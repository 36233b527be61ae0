/**
 * A v2 session written by another writer while a receive batch holds a working copy of it (SECURITY.md "One session,
 * two writers"): the batch's compare-and-swap (`V2Table.replaceSession`) fails, nothing of it is committed or
 * acknowledged, and the receiver checks the same frames again against the session as stored now (receiver.ts,
 * `SessionsChanged`). Against a real relay: every message arrives once, in order, and both directions of the session
 * go on working afterwards (no message key spent twice, no state lost).
 */
import { MessageKind, randomMessageId, utf8 } from '@chat/crypto';
import { afterEach, expect, it, vi } from 'vitest';
import { engineWorld } from '../../../test/engine-fixture.js';
import { sealAs } from '../../../test/seal-as.js';
import { Messenger } from '../messenger.js';
import type { Profile } from '../profile.js';
import { ChatError } from '../errors.js';
import { isRetryable } from '../send/outbox-sender.js';
import { Store } from '../store/store.js';
import { V2Table } from '../store/v2.js';
import { currentSession, sealInSession } from '../v2/session.js';
import { MAX_SESSION_CONFLICTS } from './receiver.js';

const world = engineWorld('sessions-changed');
afterEach(() => {
  vi.restoreAllMocks();
});

/** Everything waiting for `p`: the bodies shown, in order, and the receive summary. */
async function drain(p: Profile, m?: Messenger) {
  const own = m ?? (await Messenger.open(p));
  const bodies: string[] = [];
  own.on('message', (x) => bodies.push(x.body));
  try {
    return { bodies, summary: await own.receive() };
  } finally {
    own.close();
  }
}

async function send(from: Profile, to: string, text: string): Promise<void> {
  const m = await Messenger.open(from);
  try {
    await m.sendMessage(to, text);
  } finally {
    m.close();
  }
}

it('a batch whose session another writer moved on is checked again, and the session stays whole', async () => {
  const [aName, bName, cName] = (await world.users('alice', 'bob', 'carol')) as [string, string, string];
  const [alice, bob, carol] = [aName, bName, cName].map((u) => world.profile(u)) as [Profile, Profile, Profile];
  // A session both ways: alice's first contact, bob's answer.
  await send(alice, bName, 'first');
  expect((await drain(bob)).bodies).toEqual(['first']);
  await send(bob, aName, 'answer');
  expect((await drain(alice)).bodies).toEqual(['answer']);
  // And one more turn, so that what follows from alice stays on a receiving chain bob knows: decrypting it does no DH
  // ratchet step (§20), and bob's sending chain in the batch's copy is the one the other writer below moves on.
  await send(alice, bName, 'turn');
  expect((await drain(bob)).bodies).toEqual(['turn']);

  // Waiting for bob, in this order: five messages in alice's session, then carol's first contact, whose unknown sender
  // the batch must look up: an await after the batch has decrypted alice's five in its copy of the session.
  const a = await Messenger.open(alice);
  const envs = await a.withConnectionFor(async (c) => {
    const out = [];
    for (let i = 0; i < 5; i++) out.push(await sealAs(a, c, bName, { kind: MessageKind.text, body: utf8(`m${i}`) }));
    return out;
  });
  await a.withConnectionFor((c) => Promise.all(envs.map((e) => c.send(bName, e.id, e.env))));
  a.close();
  await send(carol, bName, 'hello from carol');

  // While that lookup is on its way, another writer (a `chat send` beside the session) seals in bob's session with
  // alice and stores it.
  const m = await Messenger.open(bob);
  const lookup = m.lookupContact.bind(m);
  let wrote = false;
  vi.spyOn(m, 'lookupContact').mockImplementation(async (user, conn) => {
    if (!wrote) {
      wrote = true;
      await send(bob, aName, 'written meanwhile');
    }
    return lookup(user, conn);
  });
  const swap = vi.spyOn(V2Table.prototype, 'replaceSession');
  const r = await drain(bob, m);

  expect(wrote).toBe(true);
  // The batch's compare-and-swap failed once (nothing committed), and its second check saved the session.
  expect(swap.mock.results.some((x) => x.value === false)).toBe(true);
  expect(swap.mock.results.at(-1)?.value).toBe(true);
  expect(r.bodies).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'hello from carol']);
  expect(r.summary).toEqual({ received: 6, duplicates: 0, held: 0, rejected: 0 });
  // Everything was acknowledged once committed.
  expect((await drain(bob)).summary).toEqual({ received: 0, duplicates: 0, held: 0, rejected: 0 });

  // Both directions still work: what the other writer sealed opens at alice, and so do the messages after it.
  await send(bob, aName, 'after');
  const atAlice = await drain(alice);
  expect(atAlice.bodies).toEqual(['written meanwhile', 'after']);
  // Bob's delivery receipts for m0–m4, sealed in the session by the batch's commit, open too: a receipt sealed in the
  // batch's stale copy would reuse the message key the other writer spent and be dropped here as a duplicate.
  expect(atAlice.summary).toEqual({ received: 2, duplicates: 0, held: 0, rejected: 0 });
  await send(alice, bName, 'again');
  expect(await drain(bob)).toEqual({
    bodies: ['again'],
    summary: { received: 1, duplicates: 0, held: 0, rejected: 0 },
  });
});

it('a session that changes under every check ends the receive with SESSION_BUSY (retryable); nothing is lost', async () => {
  const [aName, bName] = (await world.users('alice', 'bob')) as [string, string];
  const [alice, bob] = [aName, bName].map((u) => world.profile(u)) as [Profile, Profile];
  await send(alice, bName, 'first');
  await drain(bob);
  await send(bob, aName, 'answer');
  await drain(alice);
  for (const text of ['one', 'two', 'three']) await send(alice, bName, text);

  // Another writer on bob's database (a second connection, as a `chat send` beside the session has) seals in bob's
  // session with alice right before each of the receive's transactions, the batch's commit among them: a real write,
  // at the worst moment (the commit's compare-and-swap then finds the session moved on).
  const keys = await bob.unlockKeys(undefined);
  const other = Store.open(bob.dbPath, keys.storageKey);
  const me = { username: bName, identity: keys.identity, store: other };
  const otherSeal = () =>
    other.transaction(() => {
      const contact = other.contacts.get(aName)!;
      const session = currentSession(me, contact)!;
      sealInSession(me, session, contact, { kind: MessageKind.text, id: randomMessageId(), ts: 1, body: utf8('x') });
    });
  const transaction = Store.prototype.transaction;
  let depth = 0;
  vi.spyOn(Store.prototype, 'transaction').mockImplementation(function <T>(this: Store, f: () => T): T {
    if (this !== other && depth === 0) otherSeal();
    depth++;
    try {
      return transaction.call(this, f) as T;
    } finally {
      depth--;
    }
  });
  const swap = vi.spyOn(V2Table.prototype, 'replaceSession');
  try {
    const err = await drain(bob).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 'SESSION_BUSY', exitCode: 5 });
    expect(isRetryable(err as ChatError)).toBe(true);
    // Checked again after each conflict, then given up: one failed compare-and-swap per attempt.
    expect(swap.mock.results.filter((r) => r.value === false)).toHaveLength(MAX_SESSION_CONFLICTS + 1);
  } finally {
    vi.restoreAllMocks();
    other.close();
  }
  // Nothing was committed or acknowledged: all three arrive on the next receive.
  expect((await drain(bob)).bodies).toEqual(['one', 'two', 'three']);
});
