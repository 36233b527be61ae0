/**
 * `chat-relay migrate --to postgres://…` (issue 17): a SQLite data directory populated through the real relay is
 * copied by the built binary into a throwaway PostgreSQL (test/fixtures/postgres.ts); a relay on that database then
 * serves what the SQLite relay held: the same relay id and certificate, the waiting envelopes in order, rooms, files, prekeys, bans.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, type Identity } from '@chat/crypto';
import { controlRequest } from '@chat/relay';
import { BLOB_MAX_CHUNK_BYTES, type MsgFrame, type PrekeyBundleFrame } from '@chat/protocol';
import { usePostgres } from '../fixtures/postgres.js';
import { relayInProcess, runRelayBinary } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';
import { prekeyPut, prekeySet } from '../helpers/prekeys.js';

const cluster = usePostgres();
const dirs: TempDir[] = [];
afterAll(async () => {
  for (const d of dirs) d.cleanup();
});

function dir(): string {
  const d = tempDir('migrate');
  dirs.push(d);
  return d.dir;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function client(port: number, name: string, id: Identity, mode: 'send' | 'recv' = 'send', version = 1) {
  const c = await RawClient.connect(port);
  expect(await c.login(name, id, mode, version)).toMatchObject({ t: 'welcome' });
  if (version === 2) await c.nextOfType('prekey_count');
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

const BID = new Uint8Array(16).fill(7);
const PARTIAL = new Uint8Array(16).fill(8);
const CHUNKS = [new Uint8Array(BLOB_MAX_CHUNK_BYTES).fill(1), new Uint8Array(300).fill(2)];

/**
 * A SQLite relay's directory with accounts, three waiting envelopes, a room, a file and a half-uploaded one, prekeys, a
 * ban and an invite.
 */
async function populate(data: string, ids: Record<string, Identity>) {
  const relay = await relayInProcess(data);
  const a = await client(relay.port, 'alice', ids.alice!);
  const b = await client(relay.port, 'bob', ids.bob!, 'send', 2);
  b.send(prekeyPut(1, prekeySet(ids.bob!, 'bob', 2, 1)));
  await b.next((f) => f.t === 'prekey_count' && f.rid === 1);
  for (const c of [a, b]) c.send({ t: 'room', rid: 1, op: 'join', room: 'general' });
  await b.nextOfType('room_members');
  const sent = [1, 2, 3].map(() => randomMessageId());
  sent.forEach((id, i) => a.send({ t: 'send', rid: 10 + i, to: 'bob', id, env: new Uint8Array(64).fill(i) }));
  for (let i = 0; i < 3; i++) await a.next((f) => 'rid' in f && f.rid === 10 + i && f.t === 'sent');
  a.send({ t: 'blob_new', rid: 20, bid: BID, to: 'bob', size: BLOB_MAX_CHUNK_BYTES + 300, chunks: 2 });
  await a.next((f) => 'rid' in f && f.rid === 20);
  for (const [n, data] of CHUNKS.entries()) {
    a.send({ t: 'blob_put', rid: 21 + n, bid: BID, n, data });
    expect(await a.next((f) => 'rid' in f && f.rid === 21 + n)).toMatchObject({ t: 'blob_ok', have: n + 1 });
  }
  // An upload left half done: one of its three chunks is on disk.
  a.send({ t: 'blob_new', rid: 30, bid: PARTIAL, to: 'bob', size: 2 * BLOB_MAX_CHUNK_BYTES + 300, chunks: 3 });
  await a.next((f) => 'rid' in f && f.rid === 30);
  a.send({ t: 'blob_put', rid: 31, bid: PARTIAL, n: 0, data: CHUNKS[0]! });
  expect(await a.next((f) => 'rid' in f && f.rid === 31)).toMatchObject({ t: 'blob_ok', have: 1 });
  await controlRequest(data, { op: 'ban', user: 'mallory', reason: 'spam' });
  await controlRequest(data, { op: 'invite' });
  a.close();
  b.close();
  const relayId = hex(relay.relayId);
  const fingerprint = relay.fingerprint;
  await relay.close();
  return { sent, relayId, fingerprint };
}

describe('chat-relay migrate --to postgres://…', () => {
  it('copies a SQLite relay into PostgreSQL, where a relay delivers the waiting envelopes, rooms and files', async () => {
    const ids = { alice: generateIdentity(), bob: generateIdentity(), carol: generateIdentity() };
    const data = dir();
    const { sent, relayId, fingerprint } = await populate(data, ids);
    const url = await cluster.database();

    const run = await runRelayBinary(['migrate', '--json', '--data', data, '--to', url]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      counts: {
        users: 2,
        envelopes: 3,
        bans: 1,
        invites: 1,
        roomMembers: 2,
        prekeys: 5,
        blobs: 2,
        blobChunks: 3,
        certificate: 1,
      },
    });
    expect(run.stderr).toContain('chat-relay migrate: envelopes 3/3');

    // A second run finds the database holding relay data and copies nothing (exit 4, REFUSED).
    const again = await runRelayBinary(['migrate', '--json', '--data', data, '--to', url]);
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, code: 'TARGET_NOT_EMPTY' });

    const relay = await relayInProcess(dir(), { store: url });
    // Clients' pins hold: the same relay id and the same certificate, though this relay has a data directory of its own.
    expect(hex(relay.relayId)).toBe(relayId);
    expect(relay.fingerprint).toBe(fingerprint);
    const bob = await client(relay.port, 'bob', ids.bob!, 'recv');
    expect((await drain(bob)).map((m) => hex(m.id))).toEqual(sent.map(hex));
    bob.send({ t: 'room', rid: 1, op: 'join', room: 'general' });
    expect(await bob.next((f) => 'rid' in f && f.rid === 1)).toMatchObject({ users: ['alice', 'bob'] });
    bob.send({ t: 'blob_get', rid: 2, bid: BID, from: 0 });
    for (const [n, data] of CHUNKS.entries()) {
      const f = await bob.next((x) => x.t === 'blob_data' && x.n === n);
      expect(f.t === 'blob_data' && hex(f.data) === hex(data)).toBe(true);
    }
    // Live delivery on the new store, after the migrated backlog.
    const alice = await client(relay.port, 'alice', ids.alice!);
    // The half-done upload resumes where it stopped (§16.1).
    alice.send({ t: 'blob_new', rid: 5, bid: PARTIAL, to: 'bob', size: 2 * BLOB_MAX_CHUNK_BYTES + 300, chunks: 3 });
    expect(await alice.next((f) => 'rid' in f && f.rid === 5)).toMatchObject({ t: 'blob_ok', have: 1 });
    const live = randomMessageId();
    alice.send({ t: 'send', rid: 3, to: 'bob', id: live, env: new Uint8Array(64) });
    expect(hex((await bob.nextOfType('msg')).id)).toBe(hex(live));
    // The prekeys went along, one-time keys oldest first.
    const carol = await client(relay.port, 'carol', ids.carol!, 'send', 2);
    carol.send({ t: 'prekey_get', rid: 4, user: 'bob' });
    expect((await carol.next((f) => 'rid' in f && f.rid === 4)) as PrekeyBundleFrame).toMatchObject({
      t: 'prekey_bundle',
      opkId: 100,
      pqId: 100,
    });
    // And the ban.
    const m = await RawClient.connect(relay.port);
    expect(await m.login('mallory', generateIdentity())).toMatchObject({ t: 'err', code: 'BANNED' });
    for (const c of [alice, bob, carol, m]) c.close();
    await relay.close();
  });

  it('refuses while a relay runs on the data directory, and without a relay.db', async () => {
    const data = dir();
    const relay = await relayInProcess(data);
    const url = await cluster.database();
    const busy = await runRelayBinary(['migrate', '--data', data, '--to', url]);
    expect(busy.code).toBe(4);
    expect(busy.stderr).toContain('(DATA_DIR_IN_USE)');
    await relay.close();
    const empty = await runRelayBinary(['migrate', '--json', '--data', dir(), '--to', url]);
    expect(empty.code).toBe(1);
    expect(JSON.parse(empty.stdout)).toMatchObject({ ok: false, code: 'NO_SOURCE' });
  });
});
