/**
 * Issue 13 item 9: an acknowledged envelope does not linger in the relay's database files. The relay runs SQLite with
 * `secure_delete` (deleted rows are zeroed, not left in free space) and checkpoints and truncates its WAL, which
 * otherwise keeps the frames that wrote the envelope. Real relay in process, TLS, a real SQLite file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generateIdentity, randomMessageId } from '@chat/crypto';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { RawClient } from '../helpers/raw-client.js';

let relay: InProcessRelay | undefined;
const tmp = tempDir('relay-secure-delete');
const open: RawClient[] = [];
afterEach(async () => {
  open.splice(0).forEach((c) => c.close());
  await relay?.close();
  tmp.cleanup();
});

/** Every byte the relay keeps of its mailbox database: relay.db and, if present, its WAL. */
function relayFiles(dir: string): Buffer {
  const files = ['relay.db', 'relay.db-wal'].map((f) => join(dir, f)).filter((f) => existsSync(f));
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

async function login(user: string, mode: 'recv' | 'send'): Promise<RawClient> {
  const c = await RawClient.connect(relay!.port);
  open.push(c);
  expect(await c.login(user, generateIdentity(), mode)).toMatchObject({ t: 'welcome' });
  return c;
}

it('a delivered and acknowledged envelope is in neither relay.db nor its WAL; one still waiting is (the control)', async () => {
  relay = await relayInProcess(tmp.dir);
  const bob = await login('bob', 'recv');
  await bob.nextOfType('synced');
  await login('carol', 'send');
  const alice = await login('alice', 'send');
  // Envelopes are opaque to the relay: random bytes stand for sealed boxes, and no 48-byte run of them occurs by chance.
  const acked = randomBytes(4096);
  const waiting = randomBytes(4096);
  const ackedId = randomMessageId();
  alice.send({ t: 'send', rid: 1, to: 'bob', id: ackedId, env: acked });
  alice.send({ t: 'send', rid: 2, to: 'carol', id: randomMessageId(), env: waiting });
  await alice.next((f) => f.t === 'sent' && f.rid === 1);
  await alice.next((f) => f.t === 'sent' && f.rid === 2);
  const msg = await bob.nextOfType('msg');
  expect(Buffer.from(msg.env).equals(acked)).toBe(true);
  bob.send({ t: 'ack', ids: [ackedId] });
  bob.send({ t: 'ping', rid: 3 });
  await bob.nextOfType('pong'); // the deletion has committed (§9)
  await relay.close();
  relay = undefined;

  const bytes = relayFiles(tmp.dir);
  const probe = (b: Buffer) => [0, 1000, 4048].some((at) => bytes.includes(b.subarray(at, at + 48)));
  expect(probe(waiting)).toBe(true);
  expect(probe(acked)).toBe(false);
});
