/**
 * The real relay on PostgreSQL (issue 17, `--store postgres://…`): in process over TLS on a throwaway cluster
 * (test/fixtures/postgres.ts), clients on real sockets. Without a PostgreSQL server this file fails, saying why.
 */
import { afterAll, describe, expect, it } from 'vitest';
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
import { BLOB_MAX_CHUNK_BYTES, type MsgFrame, type PrekeyBundleFrame } from '@chat/protocol';
import { usePostgres } from '../fixtures/postgres.js';
import { type InProcessRelay, relayInProcess } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';
import { prekeyPut, prekeySet } from '../helpers/prekeys.js';

const cluster = usePostgres();
const dirs: TempDir[] = [];
afterAll(async () => {
  for (const d of dirs) d.cleanup();
});

/** A relay on `url` with a data directory of its own (TLS key, control socket): the state is all in PostgreSQL. */
async function relayOn(url: string): Promise<InProcessRelay> {
  const d = tempDir('relay-pg');
  dirs.push(d);
  return relayInProcess(d.dir, { store: url });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function envelopeFor(from: Identity, to: Identity, text: string) {
  const id = randomMessageId();
  const env = sealEnvelope(
    { kind: MessageKind.text, from: 'alice', to: 'bob', id, ts: Date.now(), body: utf8(text) },
    from.identity.secretKey,
    to.encryption.publicKey,
  );
  return { id, env };
}

async function drain(c: RawClient): Promise<MsgFrame[]> {
  const got: MsgFrame[] = [];
  for (;;) {
    const f = await c.next((x) => x.t === 'msg' || x.t === 'synced');
    if (f.t === 'synced') return got;
    got.push(f as MsgFrame);
  }
}

describe('the relay on PostgreSQL', () => {
  it('stores, delivers in order, forwards live, deletes on ack; a second relay on the database sees it all', async () => {
    const url = await cluster.database();
    const relay = await relayOn(url);
    const alice = generateIdentity();
    const bob = generateIdentity();
    const a = await RawClient.connect(relay.port);
    await a.login('alice', alice);
    const b0 = await RawClient.connect(relay.port);
    await b0.login('bob', bob);
    b0.close();

    // Offline: three envelopes, pipelined in one write, answered `sent` only once committed.
    const sent = ['one', 'two', 'three'].map((t) => envelopeFor(alice, bob, t));
    sent.forEach((s, rid) => a.send({ t: 'send', rid, to: 'bob', id: s.id, env: s.env }));
    for (let rid = 0; rid < sent.length; rid++) {
      expect(await a.next((f) => 'rid' in f && f.rid === rid)).toMatchObject({ t: 'sent', rid });
    }
    const b = await RawClient.connect(relay.port);
    await b.login('bob', bob, 'recv');
    const got = await drain(b);
    expect(got.map((m) => hex(m.id))).toEqual(sent.map((s) => hex(s.id)));
    const opened = openEnvelope(got[1]!.env, { username: 'bob', encryption: bob.encryption }, got[1]!.id);
    verifyEnvelopeSignature(opened, alice.identity.publicKey);
    expect(Buffer.from(opened.body).toString()).toBe('two');

    // Live: forwarded at once to the receiving session.
    const live = envelopeFor(alice, bob, 'live');
    a.send({ t: 'send', rid: 10, to: 'bob', id: live.id, env: live.env });
    expect(hex((await b.nextOfType('msg')).id)).toBe(hex(live.id));

    // Ack all but "two"; `pong` means the deletions have committed.
    b.send({ t: 'ack', ids: [got[0]!.id, got[2]!.id, live.id] });
    b.send({ t: 'ping', rid: 1 });
    await b.nextOfType('pong');
    a.close();
    b.close();

    // Another relay (its own data directory) on the same database: same relay id, same accounts, same mailbox.
    const second = await relayOn(url);
    expect(hex(second.relayId)).toBe(hex(relay.relayId));
    const b2 = await RawClient.connect(second.port);
    await b2.login('bob', bob, 'recv');
    expect((await drain(b2)).map((m) => hex(m.id))).toEqual([hex(sent[1]!.id)]);
    b2.close();
    await relay.close();
    await second.close();
  });

  it('rooms, fanout and an invalid recipient answer as on SQLite', async () => {
    const relay = await relayOn(await cluster.database());
    const ids = { alice: generateIdentity(), bob: generateIdentity(), carol: generateIdentity() };
    const clients: Record<string, RawClient> = {};
    for (const [name, id] of Object.entries(ids)) {
      clients[name] = await RawClient.connect(relay.port);
      await clients[name]!.login(name, id);
    }
    const a = clients.alice!;
    a.send({ t: 'room', rid: 1, op: 'join', room: 'general' });
    clients.bob!.send({ t: 'room', rid: 1, op: 'join', room: 'general' });
    await clients.bob!.nextOfType('room_members');
    expect(await a.nextOfType('room_members')).toMatchObject({ room: 'general' });
    a.send({ t: 'room', rid: 2, op: 'join', room: 'general' });
    expect((await a.next((f) => 'rid' in f && f.rid === 2)) as unknown).toMatchObject({ users: ['alice', 'bob'] });
    const env = new Uint8Array(64);
    a.send({
      t: 'fanout',
      rid: 3,
      to: ['bob', 'nobody', 'carol'],
      ids: [randomMessageId(), randomMessageId(), randomMessageId()],
      envs: [env, env, env],
    });
    expect(await a.nextOfType('fanout_sent')).toEqual({ t: 'fanout_sent', rid: 3, codes: ['', 'UNKNOWN_USER', ''] });
    a.send({ t: 'send', rid: 4, to: 'nobody', id: randomMessageId(), env });
    expect(await a.next((f) => 'rid' in f && f.rid === 4)).toMatchObject({ t: 'err', code: 'UNKNOWN_USER' });
    for (const c of Object.values(clients)) c.close();
    await relay.close();
  });

  it('a file uploaded through one relay is downloaded through another: chunks are rows in the database', async () => {
    const url = await cluster.database();
    const [up, down] = [await relayOn(url), await relayOn(url)];
    const alice = await RawClient.connect(up.port);
    await alice.login('alice', generateIdentity());
    const bob = await RawClient.connect(down.port);
    await bob.login('bob', generateIdentity());
    const bid = new Uint8Array(16).fill(7);
    const chunks = [new Uint8Array(BLOB_MAX_CHUNK_BYTES).fill(1), new Uint8Array(300).fill(2)];
    const size = BLOB_MAX_CHUNK_BYTES + 300;
    alice.send({ t: 'blob_new', rid: 1, bid, to: 'bob', size, chunks: 2 });
    expect(await alice.next((f) => 'rid' in f && f.rid === 1)).toMatchObject({ t: 'blob_ok', have: 0 });
    for (const [n, data] of chunks.entries()) {
      alice.send({ t: 'blob_put', rid: 2 + n, bid, n, data });
      expect(await alice.next((f) => 'rid' in f && f.rid === 2 + n)).toMatchObject({ t: 'blob_ok', have: n + 1 });
    }
    bob.send({ t: 'blob_get', rid: 9, bid, from: 0 });
    for (const [n, data] of chunks.entries()) {
      const f = await bob.next((x) => x.t === 'blob_data' && x.n === n);
      expect(f.t === 'blob_data' && hex(f.data) === hex(data)).toBe(true);
    }
    alice.close();
    bob.close();
    await up.close();
    await down.close();
  });

  it('prekeys published through one relay are fetched through another, each one-time key once (§23)', async () => {
    const url = await cluster.database();
    const [r1, r2] = [await relayOn(url), await relayOn(url)];
    const bob = generateIdentity();
    const b = await RawClient.connect(r1.port);
    expect(await b.login('bob', bob, 'send', 2)).toMatchObject({ t: 'welcome' });
    await b.nextOfType('prekey_count');
    b.send(prekeyPut(1, prekeySet(bob, 'bob', 6, 2)));
    expect(await b.next((f) => f.t === 'prekey_count' && f.rid === 1)).toMatchObject({ opk: 6, pqopk: 2 });
    const tampered = prekeySet(bob, 'bob', 1, 0).map((k) => ({ ...k, signature: new Uint8Array(64) }));
    b.send(prekeyPut(2, tampered));
    expect(await b.nextOfType('err')).toMatchObject({ rid: 2, code: 'PREKEY_BAD_SIGNATURE', fatal: false });

    // Four fetchers, two on each relay, eight fetches at once: six one-time X25519 keys, each handed out once.
    const fetchers = await Promise.all(
      ['ann', 'ben', 'cat', 'dan'].map(async (name, i) => {
        const c = await RawClient.connect((i % 2 ? r2 : r1).port);
        expect(await c.login(name, generateIdentity(), 'send', 2)).toMatchObject({ t: 'welcome' });
        await c.nextOfType('prekey_count');
        return c;
      }),
    );
    for (const [i, c] of fetchers.entries()) {
      c.send({ t: 'prekey_get', rid: 10 + i, user: 'bob' });
      c.send({ t: 'prekey_get', rid: 20 + i, user: 'bob' });
    }
    const bundles = (
      await Promise.all(
        fetchers.flatMap((c, i) => [10 + i, 20 + i].map((rid) => c.next((f) => 'rid' in f && f.rid === rid))),
      )
    ).map((f) => f as PrekeyBundleFrame);
    expect(bundles.every((x) => x.t === 'prekey_bundle' && x.user === 'bob')).toBe(true);
    const opkIds = bundles.flatMap((x) => (x.opkId === undefined ? [] : [x.opkId]));
    expect(opkIds.sort()).toEqual([100, 101, 102, 103, 104, 105]);
    expect(
      bundles
        .filter((x) => x.pqType === 4)
        .map((x) => x.pqId)
        .sort(),
    ).toEqual([100, 101]);
    b.send(prekeyPut(3, []));
    expect(await b.next((f) => f.t === 'prekey_count' && f.rid === 3)).toMatchObject({ opk: 0, pqopk: 0 });
    for (const c of [b, ...fetchers]) c.close();
    await r1.close();
    await r2.close();
  });
});
