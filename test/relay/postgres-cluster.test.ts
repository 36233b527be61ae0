/**
 * Several relays on one PostgreSQL (issue 17, docs/SCALING.md): what one relay does reaches the clients of another.
 * Two relays run in this process on one throwaway database; clients connect to one or the other over TLS.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, type Identity } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import { type PgCluster, startPostgres } from '../fixtures/postgres.js';
import { type InProcessOptions, type InProcessRelay, relayInProcess } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';

let cluster: PgCluster;
const dirs: TempDir[] = [];
beforeAll(async () => {
  cluster = await startPostgres();
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  for (const d of dirs) d.cleanup();
});

/** A re-check so rare that only a notification (or a reconnect's re-check) can deliver within the test. */
const NEVER = 3_600_000;

async function relayOn(url: string, options: InProcessOptions = {}): Promise<InProcessRelay> {
  const d = tempDir('relay-pg');
  dirs.push(d);
  return relayInProcess(d.dir, { store: url, wakeRecheckMs: NEVER, ...options });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Bob receiving on `relay`, his backlog read (`synced`). */
async function receiving(relay: InProcessRelay, bob: Identity): Promise<RawClient> {
  const b = await RawClient.connect(relay.port);
  await b.login('bob', bob, 'recv');
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
    const b = await relayOn(url, { wakeRecheckMs: 50 });
    const bob = await receiving(b, generateIdentity());
    const id = await storeSilently(url, 'bob');
    const m: MsgFrame = await bob.nextOfType('msg');
    expect(hex(m.id)).toBe(hex(id));
    bob.close();
    await b.close();
  });
});
