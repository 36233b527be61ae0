#!/usr/bin/env node
// Scenario 3: hold `count` authenticated idle connections (TLS 1.3 + signed auth, mode recv) to the built relay;
// report the time to establish them and the relay's resident memory per connection (RSS after - RSS before,
// from /proc/<pid>/status). Each is a first login, so it also registers the account (one SQLite write). Needs
// `ulimit -n` above count (one descriptor per connection here and one in the relay). Usage: node scripts/bench/connections.mjs [count, default 10000]
import { readFileSync } from 'node:fs';
import { generateIdentity } from '@chat/crypto';
import { Conn, startOurRelay } from './ours.mjs';

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

export async function connections(count, concurrency = 32) {
  const relay = await startOurRelay();
  const conns = [];
  try {
    const ids = Array.from({ length: count }, () => generateIdentity());
    await new Promise((r) => setTimeout(r, 500));
    const before = rssKiB(relay.pid);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          conns.push(await Conn.login(relay.port, `idle${i}`, ids[i], 'recv'));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssKiB(relay.pid);
    const open = conns.filter((c) => !c.socket.destroyed).length;
    return {
      count,
      open,
      seconds,
      perSecond: count / seconds,
      rssBeforeMiB: before / 1024,
      rssAfterMiB: after / 1024,
      kibPerConnection: (after - before) / count,
    };
  } finally {
    for (const c of conns) c.close();
    await relay.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await connections(Number(process.argv[2] ?? 10_000)));
}
