/**
 * A message to an offline user survives a relay restart and arrives exactly once. The relay comes back on a new
 * port: bob points at it for one run with CHAT_RELAY; alice re-runs `chat login` (same relay id, so no warning).
 * A relay with a new id (wiped data directory) is refused until the user logs in again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, jsonLines, newUser } from './harness.js';
import { relayBinary, relayInProcess, type BinaryRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';

describe('relay restart', () => {
  let t: TempDir;
  let relay: BinaryRelay;

  beforeAll(() => {
    t = tempDir('restart');
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('delivers a message stored before the restart exactly once', async () => {
    const dataDir = `${t.dir}/relay`;
    relay = await relayBinary(dataDir);
    const alice = await newUser(t.dir, 'alice', relay);
    const bob = await newUser(t.dir, 'bob', relay);
    const sent = await chat(['send', '--json', 'bob', 'while you were away'], { home: alice });
    expect(sent.code).toBe(0);
    const id = jsonLines<{ id: string }>(sent.stdout)[0]?.id;

    expect(await relay.stop('SIGTERM')).toBe(0);
    relay = await relayBinary(dataDir);

    const env = { CHAT_RELAY: relay.address };
    const r = await chat(['recv', '--json'], { home: bob, env });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(r.stdout)).toEqual([expect.objectContaining({ id, from: 'alice', body: 'while you were away' })]);
    expect(await chat(['recv', '--json'], { home: bob, env })).toEqual({ code: 0, stdout: '', stderr: '' });

    // Alice moves to the new address for good: same relay id, so a plain re-login.
    const login = await chat(['login', 'alice', '--relay', relay.address], { home: alice });
    expect(login).toEqual({
      code: 0,
      stdout: `logged in as alice on ${relay.hostPort}\nrelay certificate pinned: ${relay.address}\n`,
      stderr: '',
    });
    expect((await chat(['send', 'bob', 'after the restart'], { home: alice })).code).toBe(0);
    const r2 = await chat(['recv'], { home: bob, env });
    expect(r2.stdout).toMatch(/alice: after the restart\n$/);
  });

  // What the client does, not the relay process: the relays in this process (a relay binary costs ~1 s of CPU).
  it('refuses a relay whose id changed (exit 6) until chat login re-joins it', async () => {
    const first = await relayInProcess(`${t.dir}/old`);
    const erin = await newUser(t.dir, 'erin', first);
    await first.stop();
    // Same address space, new data directory: a wiped or substituted relay.
    const fresh = await relayInProcess(`${t.dir}/wiped`);
    try {
      const r = await chat(['recv'], { home: erin, env: { CHAT_RELAY: fresh.address } });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/^chat: error: .*id changed/m);
      expect(r.stderr).toContain(
        `chat: hint: if that is expected (a new or wiped relay), run chat login erin --relay ${fresh.address} again`,
      );
      const login = await chat(['login', 'erin', '--relay', fresh.address], { home: erin });
      expect(login.code).toBe(0);
      expect(login.stdout).toBe(`registered erin on ${fresh.hostPort}\nrelay certificate pinned: ${fresh.address}\n`);
      // Both changes are said: the new certificate the chat:// address named, and the new relay id.
      expect(login.stderr).toMatch(
        /^chat: warning: accepted a new TLS certificate for .* as the chat:\/\/ address asked$/m,
      );
      expect(login.stderr).toMatch(/^chat: warning: the relay id changed/m);
      expect((await chat(['recv'], { home: erin })).code).toBe(0);
    } finally {
      await fresh.stop();
    }
  });
});
