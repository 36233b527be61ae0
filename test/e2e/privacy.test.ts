/** The relay stores only ciphertext: no byte of any file in its data directory (WAL included) holds a body. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser, startChat } from './harness.js';
import { relayBinary, type BinaryRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('what the relay keeps', () => {
  let t: TempDir;
  let relay: BinaryRelay;

  beforeAll(async () => {
    t = tempDir('privacy');
    relay = await relayBinary(`${t.dir}/relay`);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('never holds plaintext, whether delivered, waiting, or streamed to a follower', async () => {
    const alice = await newUser(t.dir, 'alice', relay);
    const bob = await newUser(t.dir, 'bob', relay);
    const secrets = [
      'PLAINTEXT-CANARY-delivered-7f3a',
      'PLAINTEXT-CANARY-waiting-91bc',
      'PLAINTEXT-CANARY-followed-c0de',
    ];
    const logs: string[] = [];

    expect((await chat(['send', 'bob', secrets[0] ?? ''], { home: alice })).code).toBe(0);
    const r = await chat(['recv'], { home: bob });
    expect(r.stdout).toContain(secrets[0]);
    logs.push(r.stderr);

    const follower = startChat(['recv', '--follow'], { home: alice });
    const s = await chat(['send', 'alice', secrets[2] ?? ''], { home: bob });
    logs.push(s.stderr);
    await follower.waitFor(new RegExp(secrets[2] ?? ''));
    follower.proc.kill('SIGTERM');
    logs.push((await follower.exit).stderr);

    // Left waiting in bob's mailbox.
    const w = await chat(['send', 'bob', '-'], { home: alice, stdin: secrets[1] ?? '' });
    expect(w.code).toBe(0);
    logs.push(w.stderr);

    // Stop the relay so that everything it buffers is on disk, then read every byte it wrote.
    await relay.stop();
    const files = filesUnder(relay.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of secrets)
        expect(bytes.includes(Buffer.from(secret)), `${file} contains ${secret}`).toBe(false);
    }
    // Clients never put a body on stderr.
    for (const log of logs) for (const secret of secrets) expect(log).not.toContain(secret);
    relay = await relayBinary(`${t.dir}/relay`);
  });
});
