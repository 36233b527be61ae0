/**
 * Several relays on one PostgreSQL (issue 17, docs/SCALING.md): what one relay does reaches the clients of another.
 * Two relays run in this process on one throwaway database; clients connect to one or the other over TLS.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, relayCertFingerprint, type Identity } from '@chat/crypto';
import type { MsgFrame, RelayFrame } from '@chat/protocol';
import { controlRequest, LIVENESS_LOCK_PREFIX, openRelayStores } from '@chat/relay';
import { usePostgres } from '../fixtures/postgres.js';
import { type InProcessOptions, type InProcessRelay, relayInProcess } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../fixtures/wait.js';

const cluster = usePostgres();
const dirs: TempDir[] = [];
afterAll(async () => {
  for (const d of dirs) d.cleanup();
});

/** A re-check so rare that only a notification (or a reconnect's re-check) can deliver within the test. */
const NEVER = 3_600_000;

async function relayOn(url: string, options: InProcessOptions = {}): Promise<InProcessRelay> {
  const d = tempDir('relay-pg');
  dirs.push(d);
  return relayInProcess(d.dir, { store: url, ...options, cluster: { recheckMs: NEVER, ...options.cluster } });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** `user` (bob) receiving on `relay`, the backlog read (`synced`). */
async function receiving(relay: InProcessRelay, id: Identity, user = 'bob'): Promise<RawClient> {
  const b = await RawClient.connect(relay.port);
  const welcome = await b.login(user, id, 'recv');
  if (welcome.t !== 'welcome') {
    b.close();
    throw new Error(welcome.t === 'err' ? welcome.code : welcome.t);
  }
  await b.nextOfType('synced');
  return b;
}

/** Stores an envelope for `to` behind the relays' backs: a commit whose notification never went out. */
async function storeSilently(url: string, to: string): Promise<Uint8Array> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const id = randomMessageId();
  const now = Date.now();
  await c.query(
    'INSERT INTO envelopes (recipient, id, envelope, size, received_at, expires_at) VALUES ($1, $2, $3, 64, $4, $5)',
    [to, Buffer.from(id), Buffer.alloc(64, 1), now, now + 3_600_000],
  );
  await c.end();
  return id;
}

describe('relays sharing one PostgreSQL', () => {
  it('a send through relay A wakes the receiving session on relay B at once', async () => {
    const url = await cluster.database();
    const [a, b] = [await relayOn(url), await relayOn(url)];
    const alice = await RawClient.connect(a.port);
    await alice.login('alice', generateIdentity());
    const bob = await receiving(b, generateIdentity());
    const ids = [randomMessageId(), randomMessageId(), randomMessageId()];
    ids.forEach((id, rid) => alice.send({ t: 'send', rid, to: 'bob', id, env: new Uint8Array(64) }));
    const got: string[] = [];
    while (got.length < ids.length) got.push(hex((await bob.nextOfType('msg')).id));
    expect(got).toEqual(ids.map(hex)); // commit order is delivery order
    // A fanout through A wakes bob on B too.
    alice.send({ t: 'fanout', rid: 9, to: ['bob'], ids: [randomMessageId()], envs: [new Uint8Array(64)] });
    await alice.nextOfType('fanout_sent');
    expect((await bob.nextOfType('msg')).t).toBe('msg');
    alice.close();
    bob.close();
    await a.close();
    await b.close();
  });

  it('a notification lost while the listener was down: the re-check when it reconnects delivers', async () => {
    const url = await cluster.database();
    const events: string[] = [];
    const b = await relayOn(url, { log: (e) => void events.push(`${e.event}:${String(e.reconnected ?? '')}`) });
    const bob = await receiving(b, generateIdentity());
    const id = await storeSilently(url, 'bob');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'");
    await admin.end();
    expect(hex((await bob.nextOfType<'msg'>('msg')).id)).toBe(hex(id));
    expect(events).toContain('cluster_listening:1');
    bob.close();
    await b.close();
  });

  it('a notification that never came: the periodic re-check delivers', async () => {
    const url = await cluster.database();
    const b = await relayOn(url, { cluster: { recheckMs: 50 } });
    const bob = await receiving(b, generateIdentity());
    const id = await storeSilently(url, 'bob');
    const m: MsgFrame = await bob.nextOfType('msg');
    expect(hex(m.id)).toBe(hex(id));
    bob.close();
    await b.close();
  });

  it('one receiving session per user across relays: refused while a live relay holds it, taken from a dead one', async () => {
    const url = await cluster.database();
    const [a, b] = [await relayOn(url), await relayOn(url)];
    const bob = generateIdentity();
    const onA = await receiving(a, bob);
    const second = await RawClient.connect(b.port);
    expect(await second.login('bob', bob, 'recv')).toMatchObject({ t: 'err', code: 'ALREADY_RECEIVING' });
    onA.close();
    // A's release is on its way: B grants the session once it has landed (each try is one refused login).
    let onB: RawClient | undefined;
    while (!onB) onB = await receiving(b, bob).catch(() => undefined);
    onB.close();
    // Leases of three made-up relays. 'dead': its heartbeat is older than the lease (8 s). 'crashed': a fresh
    // heartbeat, but nobody holds its liveness lock, as after its process died. 'live': both. The first two are
    // dead, so their users are taken over at once; the third is not.
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    await sql.query('SELECT pg_advisory_lock($1, hashtext($2))', [LIVENESS_LOCK_PREFIX, 'live']);
    await sql.query(
      "INSERT INTO relay_nodes VALUES ('dead', 0, now() - interval '9 seconds'), ('crashed', 0, now()), ('live', 0, now())",
    );
    await sql.query(
      "INSERT INTO receiver_leases VALUES ('carol', 'dead', 1, 0), ('erin', 'crashed', 1, 0), ('dave', 'live', 1, 0)",
    );
    (await receiving(a, generateIdentity(), 'carol')).close();
    (await receiving(a, generateIdentity(), 'erin')).close();
    await expect(receiving(a, generateIdentity(), 'dave')).rejects.toThrow(/ALREADY_RECEIVING/);
    await sql.end();
    await a.close();
    await b.close();
  });

  it('who, typing signals, kicks and shutdown reach the sessions of another relay', async () => {
    const url = await cluster.database();
    const [a, b] = [await relayOn(url), await relayOn(url)];
    const alice = await RawClient.connect(a.port);
    await alice.login('alice', generateIdentity());
    const bobId = generateIdentity();
    const bob = await receiving(b, bobId);
    alice.send({ t: 'who', rid: 1 });
    expect(await alice.nextOfType('online')).toMatchObject({ users: ['bob'] });
    const id = randomMessageId();
    alice.send({ t: 'send', rid: 2, to: 'bob', id, env: new Uint8Array(64), eph: true });
    expect(await alice.next((f) => 'rid' in f && f.rid === 2)).toMatchObject({ t: 'sent' });
    expect(await bob.nextOfType('msg')).toMatchObject({ eph: true });
    alice.send({ t: 'send', rid: 3, to: 'carol', id, env: new Uint8Array(64), eph: true });
    expect(await alice.next((f) => 'rid' in f && f.rid === 3)).toMatchObject({ t: 'err', code: 'UNKNOWN_USER' });
    expect(await controlRequest(a.dataDir, { op: 'kick', user: 'bob', reason: 'test' })).toMatchObject({ ok: true });
    expect(await bob.next((f: RelayFrame) => f.t === 'err')).toMatchObject({ code: 'KICKED' });
    let bob2: RawClient | undefined; // once the kicked session's lease is released
    while (!bob2) bob2 = await receiving(b, bobId).catch(() => undefined);
    expect(await controlRequest(a.dataDir, { op: 'shutdown' })).toMatchObject({ ok: true });
    expect(await bob2.next((f: RelayFrame) => f.t === 'err')).toMatchObject({ code: 'SHUTTING_DOWN' });
    alice.close();
    await a.close();
    await b.close();
  });

  it('a relay that cannot renew its heartbeat fences itself; another relay takes its receivers over', async () => {
    const url = await cluster.database();
    const timing = { heartbeatMs: 200, leaseMs: 3_000 }; // short, yet a busy machine's stall does not fence B
    const [a, b] = [await relayOn(url, { cluster: timing }), await relayOn(url, { cluster: timing })];
    const bob = generateIdentity();
    const onA = await receiving(a, bob);
    // Hold A's heartbeat row locked: A's renewal hangs as if A were paused or cut off from the database.
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    await sql.query('BEGIN');
    const aNode = (await sql.query("SELECT node FROM receiver_leases WHERE username = 'bob'")).rows[0].node as string;
    await sql.query('SELECT 1 FROM relay_nodes WHERE node = $1 FOR UPDATE', [aNode]);
    expect(await onA.next((f: RelayFrame) => f.t === 'err')).toMatchObject({ code: 'SHUTTING_DOWN' });
    // While fenced, A refuses a receiving session with an error the client retries elsewhere.
    const again = await RawClient.connect(a.port);
    expect(await again.login('bob', bob, 'recv')).toMatchObject({ t: 'err', code: 'SHUTTING_DOWN' });
    let onB: RawClient | undefined;
    while (!onB) onB = await receiving(b, bob).catch(() => undefined);
    await sql.query('ROLLBACK');
    await sql.end();
    // A is back: a message sent through it reaches bob on B, once.
    const alice = await RawClient.connect(a.port);
    await alice.login('alice', generateIdentity());
    const m = randomMessageId();
    alice.send({ t: 'send', rid: 1, to: 'bob', id: m, env: new Uint8Array(64) });
    expect(hex((await onB.nextOfType('msg')).id)).toBe(hex(m));
    alice.close();
    onB.close();
    await a.close();
    await b.close();
  });

  it('a relay whose liveness connection is cut fences itself at once, its receiver moves at once, and it comes back', async () => {
    const url = await cluster.database();
    const timing = { heartbeatMs: 200 }; // the default lease (8 s): only the lost lock can move bob before it
    const [a, b] = [await relayOn(url, { cluster: timing }), await relayOn(url, { cluster: timing })];
    const bob = generateIdentity();
    const onA = await receiving(a, bob);
    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    const aNode = (await sql.query("SELECT node FROM receiver_leases WHERE username = 'bob'")).rows[0].node as string;
    // The backend holding A's liveness lock, ended by the server as if A's process had died.
    const holder = await sql.query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::oid
       AND objid = hashtext($2)::oid`,
      [LIVENESS_LOCK_PREFIX, aNode],
    );
    expect(holder.rowCount).toBe(1);
    await sql.query('SELECT pg_terminate_backend($1)', [holder.rows[0].pid]);
    expect(await onA.next((f: RelayFrame) => f.t === 'err')).toMatchObject({ code: 'SHUTTING_DOWN' });
    // B grants bob's session although A's heartbeat is fresh: A no longer holds its lock. (A's own release of the
    // lease may land first; either way nothing waits for the 8 s lease.)
    const onB = await receiving(b, bob);
    // A still stores (fencing stops deliveries only): a message sent through it reaches bob on B.
    const alice = await RawClient.connect(a.port);
    expect((await alice.login('alice', generateIdentity())).t).toBe('welcome');
    const m = randomMessageId();
    alice.send({ t: 'send', rid: 1, to: 'bob', id: m, env: new Uint8Array(64) });
    expect(await alice.next((f) => 'rid' in f && f.rid === 1)).toMatchObject({ t: 'sent' });
    expect(hex((await onB.nextOfType('msg')).id)).toBe(hex(m));
    // Once A holds its lock again and has renewed its heartbeat, it grants receiving sessions again.
    onB.close();
    let back: RawClient | undefined;
    while (!back) back = await receiving(a, bob).catch(() => undefined);
    back.close();
    await sql.end();
    alice.close();
    await a.close();
    await b.close();
  });

  it('a job runs on one relay at a time; a version 1 database is upgraded in place (to 3: cluster tables, prekeys)', async () => {
    const url = await cluster.database();
    const d = tempDir('relay-pg');
    dirs.push(d);
    const hooks = { wake() {}, receiving: () => [], event() {}, fence() {}, log() {} };
    const timing = { recheckMs: NEVER, heartbeatMs: 1_000, leaseMs: 8_000 };
    const [s1, s2] = [await openRelayStores(d.dir, url), await openRelayStores(d.dir, url)];
    const [c1, c2] = [await s1.join!(hooks, timing), await s2.join!(hooks, timing)];
    let finish = () => {};
    let holding = false;
    const running = c1.exclusive('sweep', () => {
      holding = true;
      return new Promise<string>((r) => (finish = () => r('first')));
    });
    await until(() => holding, 'the first job to hold the lock');
    expect(await c2.exclusive('sweep', async () => 'second')).toBeUndefined();
    finish();
    expect(await running).toBe('first');
    expect(await c2.exclusive('sweep', async () => 'second')).toBe('second');
    await c1.close();
    await c2.close();
    await s1.close();
    await s2.close();

    const sql = new pg.Client({ connectionString: url });
    await sql.connect();
    await sql.query("UPDATE relay_meta SET value = '1' WHERE key = 'schema_version'");
    await sql.query('DROP TABLE receiver_leases, relay_nodes, prekeys');
    const relay = await relayOn(url);
    (await receiving(relay, generateIdentity())).close();
    const v = await sql.query("SELECT convert_from(value, 'UTF8') AS v FROM relay_meta WHERE key = 'schema_version'");
    expect(v.rows[0].v).toBe('3');
    const tables = await sql.query(
      "SELECT to_regclass('prekeys') IS NOT NULL AS p, to_regclass('relay_nodes') IS NOT NULL AS n",
    );
    expect(tables.rows[0]).toEqual({ p: true, n: true });
    await sql.end();
    await relay.close();
  });

  it('every relay on the database serves one certificate: the first one stores its pair, the others use it', async () => {
    const url = await cluster.database();
    const [a, b] = [await relayOn(url), await relayOn(url)];
    expect(a.certCreated).toBe(true);
    expect(b.certCreated).toBe(false);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(existsSync(join(b.dataDir, 'tls-key.pem'))).toBe(false); // B never made a pair of its own
    // A client pinned to A's certificate logs in through B.
    const c = await RawClient.connect(b.port);
    const cert = (c.socket as TLSSocket).getPeerX509Certificate()!;
    expect(relayCertFingerprint(cert.publicKey.export({ type: 'spki', format: 'der' }))).toBe(a.fingerprint);
    c.close();
    await a.close();
    await b.close();
  });
});
