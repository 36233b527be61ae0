#!/usr/bin/env node
// Fan-out send time for groups of 10, 100 and 1,000 members (PROTOCOL.md §15.2), against a real relay (TLS, SQLite
// with synchronous=FULL) in this process on loopback.
// Usage: npm run build && node scripts/bench-groups.mjs [runs per size, default 10] [sizes, default 10,100,1000]
// For each size it prints the median and worst time of:
//   open   - sealing N envelopes and storing them over an already open connection (the interactive session's path),
//   oneshot - the same plus connecting, TLS and authenticating (what `chat send '#group'` does),
// and how many `fanout` frames one message took. Member keys are pinned beforehand (group creation does that).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, MessageKind, encodeGroupText, fromHex } from '@chat/crypto';
import { startRelay } from '@chat/relay';
import { login } from '../packages/cli/dist/engine/account.js';
import { Connection } from '../packages/cli/dist/engine/connection.js';
import { Messenger } from '../packages/cli/dist/engine/messenger.js';
import { Profile } from '../packages/cli/dist/engine/profile.js';
import { createGroup, sendGroupText } from '../packages/cli/dist/engine/groups/groups.js';
import { fanout } from '../packages/cli/dist/engine/groups/fanout.js';

const runs = Number(process.argv[2] ?? 10);
const sizes = (process.argv[3] ?? '10,100,1000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'bench-groups-'));
const big = 1e12;
const relay = await startRelay({
  host: '127.0.0.1',
  port: 0,
  dataDir: join(dir, 'relay'),
  controlSocket: false,
  // Setup registers and looks up a thousand users from one address: lift the per-IP and per-user rates.
  limits: {
    connectionsPerIpPerSecond: big,
    connectionsPerIpBurst: big,
    messagesPerSecond: big,
    messagesBurst: big,
    bytesPerSecond: big,
    bytesBurst: big,
  },
});
const address = { host: '127.0.0.1', port: relay.port };

const maxSize = Math.max(...sizes);
const members = [];
for (let i = 0; i < maxSize - 1; i++) {
  const name = `member${String(i).padStart(4, '0')}`;
  const c = await Connection.open({ address, username: name, identity: generateIdentity(), mode: 'send' });
  await c.close();
  members.push(name);
}
const profile = new Profile(join(dir, 'sender'));
profile.saveIdentity(generateIdentity());
await login(profile, 'sender', address);
const m = await Messenger.open(profile);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const text = 'a typical chat line, about sixty bytes long, for the benchmark';
console.log(`node ${process.version}, ${runs} runs per size, relay and client in one process on loopback (TLS 1.3)`);
for (const n of sizes) {
  const { group } = await createGroup(m, `g${n}`, members.slice(0, n - 1));
  const body = encodeGroupText(fromHex(group.gid), text);
  const recipients = group.record.members.map((x) => x.user);
  const conn = await m.connect('send');
  let frames = 0;
  const orig = conn.fanout.bind(conn);
  conn.fanout = (...a) => (frames++, orig(...a));
  const open = [];
  for (let r = 0; r < runs; r++) {
    frames = 0;
    const t0 = performance.now();
    const res = await fanout(m, conn, MessageKind.groupText, body, recipients);
    open.push(performance.now() - t0);
    if (res.stored.length !== n - 1) throw new Error(`stored ${res.stored.length} of ${n - 1}`);
  }
  await conn.close();
  const oneshot = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await sendGroupText(m, group.gid, text);
    oneshot.push(performance.now() - t0);
  }
  const f = (xs) => `median ${median(xs).toFixed(1)} ms, worst ${Math.max(...xs).toFixed(1)} ms`;
  console.log(
    `${String(n).padStart(5)} members: open ${f(open)}; oneshot ${f(oneshot)}; ${frames} fanout frame(s) per message`,
  );
}
m.close();
await relay.close();
rmSync(dir, { recursive: true, force: true });
