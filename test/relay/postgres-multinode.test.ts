/**
 * Two relays on one PostgreSQL, end to end over TLS (issue 17, docs/SCALING.md): clients on both relays writing to
 * one mailbox at once (order per sender, quota and dedup by id exact), and what limits and stats count per relay and
 * what across the relays.
 */
import { afterAll, expect, it } from 'vitest';
import { generateIdentity, type Identity, randomMessageId, toHex } from '@chat/crypto';
import type { RelayFrame } from '@chat/protocol';
import { usePostgres } from '../fixtures/postgres.js';
import { type InProcessOptions, type InProcessRelay, relayInProcess } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';
import { controlRequest } from '@chat/relay';

const cluster = usePostgres();
const dirs: TempDir[] = [];
const open: { close(): unknown }[] = [];
afterAll(async () => {
  for (const o of open.reverse()) await o.close();
  for (const d of dirs) d.cleanup();
});

async function relayOn(url: string, options: InProcessOptions = {}): Promise<InProcessRelay> {
  const d = tempDir('relay-pg-multi');
  dirs.push(d);
  const r = await relayInProcess(d.dir, { store: url, ...options });
  open.push(r);
  return r;
}

async function client(relay: InProcessRelay, user: string, id: Identity, mode: 'send' | 'recv' = 'send') {
  const c = await RawClient.connect(relay.port);
  open.push(c);
  const w = await c.login(user, id, mode);
  if (w.t !== 'welcome') throw new Error(`${user} on ${relay.port}: ${JSON.stringify(w)}`);
  return c;
}

/** Sends every item at once (pipelined) and resolves with each answer, by position. */
async function sendAll(c: RawClient, ids: Uint8Array[], ridBase: number): Promise<RelayFrame[]> {
  ids.forEach((id, i) => c.send({ t: 'send', rid: ridBase + i, to: 'bob', id, env: new Uint8Array(100).fill(i) }));
  const out: RelayFrame[] = [];
  for (let i = 0; i < ids.length; i++) out.push(await c.next((f) => 'rid' in f && f.rid === ridBase + i));
  return out;
}

it('clients on two relays writing to one mailbox at once: order per sender, quota and dedup by id exact', async () => {
  const url = await cluster.database();
  const QUOTA = 60;
  // Only the mailbox quota binds: the shares (per sender, per address) and rates are lifted to it or beyond.
  const limits = {
    mailboxMaxMessages: QUOTA,
    mailboxSenderMaxMessages: QUOTA,
    mailboxAddressMaxMessages: QUOTA,
    messagesPerSecond: 100_000,
    messagesBurst: 100_000,
  };
  const [a, b] = [await relayOn(url, { limits }), await relayOn(url, { limits })];
  const bobId = generateIdentity();
  (await client(a, 'bob', bobId)).close(); // registered, not receiving: the mailbox fills
  const aliceId = generateIdentity();
  const aliceOnA = await client(a, 'alice', aliceId);
  const aliceOnB = await client(b, 'alice', aliceId); // the same sender retrying through the other relay
  const carolOnB = await client(b, 'carol', generateIdentity());
  const aliceIds = Array.from({ length: 40 }, () => randomMessageId());
  const carolIds = Array.from({ length: 40 }, () => randomMessageId());
  const shared = Array.from({ length: 10 }, () => randomMessageId());
  // alice's ten shared ids go out through both relays at once, interleaved with the rest of the stream.
  const aliceStream = aliceIds.flatMap((id, i) => (i % 4 === 0 ? [id, shared[i / 4]!] : [id]));
  const [onA, retried, onB] = await Promise.all([
    sendAll(aliceOnA, aliceStream, 1),
    sendAll(aliceOnB, shared, 1),
    sendAll(carolOnB, carolIds, 1),
  ]);

  const streams = [aliceStream, shared, carolIds];
  const answers = [onA, retried, onB];
  const accepted = new Set<string>();
  answers.forEach((got, s) =>
    got.forEach((f, i) => {
      if (f.t === 'sent') accepted.add(toHex(streams[s]![i]!));
      else expect(f).toMatchObject({ t: 'err', code: 'MAILBOX_FULL' });
    }),
  );
  // Quota exact: the mailbox took exactly QUOTA distinct ids across both relays, not one more.
  expect(accepted.size).toBe(QUOTA);

  // Bob receives on B: every accepted id once, nothing else, each sender's envelopes in the order it sent them.
  const bobOnB = await client(b, 'bob', bobId, 'recv');
  const delivered: string[] = [];
  while (delivered.length < QUOTA) {
    const m = await bobOnB.nextOfType('msg');
    delivered.push(toHex(m.id));
    bobOnB.send({ t: 'ack', ids: [m.id] });
  }
  await bobOnB.nextOfType('synced');
  expect(new Set(delivered).size).toBe(QUOTA); // dedup exact: no id twice
  expect([...delivered].sort()).toEqual([...accepted].sort());
  for (const sent of [aliceIds, carolIds]) {
    const mine = sent.map(toHex).filter((id) => accepted.has(id));
    expect(delivered.filter((id) => mine.includes(id))).toEqual(mine);
  }
  // A shared id answered `sent` on both relays was stored once; one refused on both was not stored.
  for (const id of shared.map(toHex)) expect(delivered.filter((d) => d === id).length).toBe(accepted.has(id) ? 1 : 0);
});

it("what each relay counts on a shared store: sessions per relay, the store's totals and census alike on all", async () => {
  const url = await cluster.database();
  const limits = { maxSessionsPerUser: 2 };
  const [a, b] = [await relayOn(url, { limits }), await relayOn(url, { limits })];
  const aliceId = generateIdentity();
  await client(a, 'alice', aliceId);
  await client(a, 'alice', aliceId);
  // TOO_MANY_SESSIONS counts the sessions on the relay that answers (docs/SCALING.md): a third on A is refused...
  const third = await RawClient.connect(a.port);
  open.push(third);
  expect(await third.login('alice', aliceId)).toMatchObject({ t: 'err', code: 'TOO_MANY_SESSIONS' });
  // ...and one on B is not.
  await client(b, 'alice', aliceId);
  await client(b, 'bob', generateIdentity(), 'recv');

  const stats = async (r: InProcessRelay) =>
    ((await controlRequest(r.dataDir, { op: 'stats' })).result as { stats: Record<string, number> }).stats;
  const [onA, onB] = [await stats(a), await stats(b)];
  // Each relay's own: users with a session there.
  expect(onA.online).toBe(1);
  expect(onB.online).toBe(2);
  // The store's, alike on both: accounts, and the census of relays and users receiving on any of them.
  for (const s of [onA, onB]) expect(s).toMatchObject({ users: 2, queued: 0, relays: 2, receiving: 1 });
  // `users` on A shows bob online: he receives on B.
  const users = (await controlRequest(a.dataDir, { op: 'users' })).result as { users: { username: string }[] };
  expect(users.users).toEqual(expect.arrayContaining([expect.objectContaining({ username: 'bob', online: true })]));
  const metrics = await a.metrics.render();
  expect(metrics).toMatch(/^chat_relay_sessions_online 1$/m);
  expect(metrics).toMatch(/^chat_relay_cluster_relays 2$/m);
  expect(metrics).toMatch(/^chat_relay_cluster_receivers 1$/m);
});

it('the sweep of never-used accounts spares a user receiving on another relay', async () => {
  const url = await cluster.database();
  const a = await relayOn(url);
  await client(a, 'bob', generateIdentity(), 'recv'); // registered on A, and receiving there ever since
  (await client(a, 'ghost', generateIdentity())).close(); // registered, then gone
  // A relay whose unused-account TTL has run out for both sweeps as it starts (one sweep at a time, on the store).
  const b = await relayOn(url, { limits: { unusedAccountTtlMs: 0 } });
  const names = async () =>
    ((await controlRequest(b.dataDir, { op: 'users' })).result as { users: { username: string }[] }).users.map(
      (u) => u.username,
    );
  expect(await names()).toEqual(['bob']);
});
