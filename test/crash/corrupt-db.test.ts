/**
 * A damaged database is detected at start-up by the `chat-relay` binary: a clear error naming the file and the code,
 * a hint, and a non-zero exit — never a relay that serves from it (the store-level checks are in sqlite-store.test.ts).
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity, randomMessageId } from '@chat/crypto';
import { RawClient } from '../helpers/raw-client.js';
import { RELAY_BIN, relayEnv, relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const tmp = tempDir('corrupt');
afterAll(() => tmp.cleanup());

function runRelay(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Not relayBinary: this start must fail, and a relay that does get to `listening` is killed at once.
    const p = spawn(process.execPath, [RELAY_BIN, '--port', '0', '--data', dataDir], {
      env: relayEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('listening')) p.kill('SIGKILL'); // it must never get here
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A data directory with a real database holding accounts and envelopes, cleanly stopped. Written by the relay in this
 * process (the same server the binary runs): only the binary's start on the damaged copy is under test.
 */
async function populated(name: string): Promise<string> {
  const dir = join(tmp.dir, name);
  const relay = await relayInProcess(dir, { limits: { messagesBurst: 1000 } });
  const port = relay.port;
  const c = await RawClient.connect(port);
  await c.login('alice', generateIdentity());
  for (let i = 0; i < 300; i++)
    c.send({ t: 'send', rid: i, to: 'alice', id: randomMessageId(), env: new Uint8Array(1000).fill(i) });
  for (let i = 0; i < 300; i++) await c.nextOfType('sent');
  c.close();
  await relay.stop();
  return dir;
}

describe('chat-relay refuses a damaged relay.db', () => {
  it('a file that is not a database: exit 1, STORE_CORRUPT', async () => {
    const dir = join(tmp.dir, 'garbage');
    await (await relayInProcess(dir)).stop(); // create the directory the way the relay does
    writeFileSync(join(dir, 'relay.db'), Buffer.alloc(8192, 0x5a));
    const r = await runRelay(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr).toMatch(/^chat-relay: error: .*relay\.db: .*\(STORE_CORRUPT\)$/m);
    expect(r.stderr).toMatch(/^chat-relay: hint: restore the data directory from a backup/m);
  });

  it('a truncated database: exit 1, STORE_CORRUPT', async () => {
    const dir = await populated('truncated');
    const file = join(dir, 'relay.db');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const r = await runRelay(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(STORE_CORRUPT)');
  });

  it('a database with an overwritten page: exit 1, STORE_CORRUPT', async () => {
    const dir = await populated('scribbled');
    const file = join(dir, 'relay.db');
    const size = statSync(file).size;
    expect(readFileSync(file).subarray(0, 15).toString()).toBe('SQLite format 3');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, Math.floor(size / 4096 / 2) * 4096);
    closeSync(fd);
    const r = await runRelay(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(STORE_CORRUPT)');
  });
});
