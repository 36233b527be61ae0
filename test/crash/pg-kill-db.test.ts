/**
 * PostgreSQL itself SIGKILLed mid-load under three built relays (issue 17, docs/SCALING.md): every envelope a relay
 * answered `sent` for is in the database after the restart, and every relay serves again without being restarted.
 * The cluster runs with `synchronous_commit=on` here (fsync stays off: the kernel survives a server crash).
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateIdentity, randomMessageId, toHex, type Identity } from '@chat/crypto';
import type { RelayFrame } from '@chat/protocol';
import { usePostgres } from '../fixtures/postgres.js';
import { sleep, testSeed } from '../fixtures/random.js';
import { relayBinary, type BinaryRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { until } from '../fixtures/wait.js';
import { RawClient } from '../helpers/raw-client.js';

const SEED = testSeed('CRASH_SEED');
const RELAYS = 3;
const cluster = usePostgres({ synchronousCommit: true });
let url = '';
const dirs: TempDir[] = [];
const relays: BinaryRelay[] = [];

beforeAll(async () => {
  url = await cluster.database();
  for (let i = 0; i < RELAYS; i++) {
    const d = tempDir(`pg-kill-db-${i}`);
    dirs.push(d);
    relays.push(await relayBinary(d.dir, { args: ['--quiet', '--store', url] }));
  }
});
afterAll(async () => {
  for (const r of relays) await r.kill();
  for (const d of dirs) d.cleanup();
});

async function login(slot: number, user: string, id: Identity): Promise<RawClient | undefined> {
  try {
    const c = await RawClient.connect(relays[slot]!.port);
    if ((await c.login(user, id, 'send')).t === 'welcome') return c;
    c.close();
  } catch {
    /* the relay cannot reach the database right now */
  }
  await sleep(50); // a client's back-off before it tries again
  return undefined;
}

const acked = new Set<string>();
const ackedAfterCrash = [0, 0, 0];
let crashed = false;
let refused = 0;
let stopping = false;

/** One sender on relay `slot`, one envelope at a time, the same id again until it is answered `sent`. */
async function sender(slot: number): Promise<void> {
  const me = generateIdentity();
  let id = randomMessageId();
  while (!stopping) {
    const c = await login(slot, `sender${slot}`, me);
    if (!c) continue;
    try {
      for (let rid = 1; !stopping; rid++) {
        c.send({ t: 'send', rid, to: 'sink', id, env: new Uint8Array(64).fill(slot) });
        const r = await c.next((f: RelayFrame) => 'rid' in f && f.rid === rid);
        if (r.t === 'sent') {
          acked.add(toHex(id));
          if (crashed) ackedAfterCrash[slot]!++;
          id = randomMessageId();
        } else {
          refused++; // INTERNAL while the database is down: not stored, so not `sent`; retried with the same id
          await sleep(20);
        }
      }
    } catch {
      /* the relay closed the session: log in again */
    } finally {
      c.close();
    }
  }
}

it('PostgreSQL SIGKILLed mid-load: no `sent` without a stored row, and every relay serves again', async () => {
  console.log(`[pg-kill-db] seed ${SEED}`);
  let sink: RawClient | undefined;
  while (!sink) sink = await login(0, 'sink', generateIdentity());
  sink.close();
  const senders = Promise.all(Array.from({ length: RELAYS }, (_, s) => sender(s)));
  await until(() => acked.size >= 150, '150 envelopes acknowledged');
  const before = acked.size;
  crashed = true;
  const crashAt = Date.now();
  await cluster.crash();
  const restartedMs = Date.now() - crashAt;
  // Served again: every relay answers `sent` after the restart, without being restarted itself.
  await until(() => ackedAfterCrash.every((n) => n >= 20), 'every relay to store again').catch((e) => {
    for (const r of relays)
      console.log('[pg-kill-db] relay stderr:', r.stderr().slice(-1000), ackedAfterCrash, refused);
    throw e;
  });
  const servingMs = Date.now() - crashAt;
  stopping = true;
  await senders;

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const rows = (await db.query("SELECT id FROM envelopes WHERE recipient = 'sink'")).rows as { id: Buffer }[];
  await db.end();
  const stored = new Set(rows.map((r) => r.id.toString('hex')));
  const lost = [...acked].filter((id) => !stored.has(id));
  console.log(
    `[pg-kill-db] ${before} acknowledged before the SIGKILL, ${acked.size} in all; ${refused} refused while it ` +
      `was down; PostgreSQL back after ${restartedMs} ms, all ${RELAYS} relays storing again after ${servingMs} ms; ` +
      `${lost.length} acknowledged but not stored`,
  );
  expect(lost).toEqual([]);
  expect(stored.size).toBeGreaterThanOrEqual(acked.size);
});
