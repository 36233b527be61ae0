/** The client engine answers the relay's `keepalive` (PROTOCOL.md §7), so a long-lived session outlives the idle timeout. */
import { afterAll, expect, it } from 'vitest';
import { generateIdentity } from '@chat/crypto';
import { Connection } from '../../packages/cli/src/engine/connection.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const tmp = tempDir('engine-keepalive');
afterAll(() => tmp.cleanup());

it('a recv connection idle for 4 idle timeouts is still open and served', async () => {
  const relay = await relayInProcess(tmp.dir, { limits: { keepaliveMs: 150, idleTimeoutMs: 450 } });
  try {
    const conn = await Connection.open({
      address: { host: '127.0.0.1', port: relay.port },
      username: 'idler',
      identity: generateIdentity(),
      mode: 'recv',
    });
    conn.resume();
    await new Promise((r) => setTimeout(r, 1_800));
    expect(conn.state).toBe('authenticated');
    await conn.ping();
    await conn.close();
  } finally {
    await relay.close();
  }
});
