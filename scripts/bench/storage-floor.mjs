#!/usr/bin/env node
// The storage floor under the relay's durable throughput: the relay's own SQLite mailbox store (openSqliteStore:
// WAL, synchronous = FULL) driven directly, with no network at all. Each commit stores a batch of 256-byte envelopes
// and deletes the previous batch (as acks do in the relay's group commit), so every message costs one insert and
// one delete. Reports CPU and wall time per message for several batch sizes: what durable storage alone costs here.
// The timed loop includes making the ids and batches (a few µs per message), so it is a slight over-estimate; run
// standalone it is not disturbed by what the suite ran before it.
// Usage: node scripts/bench/storage-floor.mjs [messages per batch size, default 40000]
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openSqliteStores } from '../../packages/relay/dist/store/sqlite-store.js';
import { tempDir } from './common.mjs';

export function storageFloor(messages = 40_000, batches = [16, 64, 256]) {
  const out = [];
  for (const batch of batches) {
    const tmp = tempDir('storage');
    const { store } = openSqliteStores(join(tmp.dir, 'relay.db'));
    try {
      const users = Array.from({ length: 4 }, (_, i) => `floor${i}`);
      for (const username of users)
        store.registerUser({
          username,
          identityPublicKey: randomBytes(32),
          encryptionPublicKey: randomBytes(32),
          bundleSignature: randomBytes(64),
          createdAt: Date.now(),
        });
      const quota = { maxMessages: 1e9, maxBytes: 1e12 };
      const envelope = randomBytes(256);
      let previous = [];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let sent = 0;
      for (; sent < messages; sent += batch) {
        const items = [];
        for (let k = 0; k < batch; k++)
          items.push({
            recipient: users[k % 4],
            id: randomBytes(16),
            envelope,
            receivedAt: Date.now(),
            expiresAt: Date.now() + 86_400_000,
          });
        const removals = users.map((recipient) => ({
          recipient,
          ids: previous.filter((p) => p.recipient === recipient).map((p) => p.id),
        }));
        store.commit(removals, items, quota);
        previous = items;
      }
      const wallUs = ((performance.now() - t0) * 1000) / sent;
      const cpu = process.cpuUsage(cpu0);
      out.push({
        batch,
        cpuUsPerMessage: (cpu.user + cpu.system) / sent,
        wallUsPerMessage: wallUs,
        messagesPerSecond: 1e6 / wallUs,
      });
    } finally {
      store.close();
      tmp.cleanup();
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(storageFloor(Number(process.argv[2] ?? 40_000)));
