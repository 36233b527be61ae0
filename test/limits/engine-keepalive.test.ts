/** The client engine answers the relay's `keepalive` (PROTOCOL.md §7), so a long-lived session outlives the idle timeout. */
import { afterAll, expect, it } from 'vitest';
import { generateIdentity } from '@chat/crypto';
import { Connection } from '../../packages/cli/src/engine/net/connection.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { until } from '../fixtures/wait.js';

const tmp = tempDir('engine-keepalive');
afterAll(() => tmp.cleanup());

it('a recv connection idle for 2 idle timeouts is still open and served', async () => {
  const relay = await relayInProcess(tmp.dir, { limits: { keepaliveMs: 200, idleTimeoutMs: 800 } });
  try {
    const conn = await Connection.open({
      address: { host: '127.0.0.1', port: relay.port },
      username: 'idler',
      identity: generateIdentity(),
      mode: 'recv',
    });
    // Counted, not timed: each keepalive the engine answers is one more silent keepalive interval survived, and
    // 8 × 200 ms is 2 idle timeouts (more rounds prove nothing more: each is the same exchange). A slow machine only
    // makes this take longer.
    let answered = 0;
    const ping = conn.ping.bind(conn);
    conn.ping = () => (answered++, ping());
    conn.resume();
    await until(() => answered >= 8 || conn.state !== 'authenticated', '8 keepalives answered');
    expect(conn.state).toBe('authenticated');
    await conn.ping();
    await conn.close();
  } finally {
    await relay.close();
  }
});
