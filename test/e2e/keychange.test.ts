/**
 * Trust on first use (§3.4) through the binaries: bob's name comes back with another key on a fresh relay. Alice,
 * who pinned the old key, must first re-join the new relay (its id changed: exit 6), then is refused to send
 * (exit 4, nothing sent), and messages signed by the new key are held, not shown and not acknowledged.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser, startRelay, tempDir, type Relay } from './harness.js';

describe('a contact whose key changed', () => {
  let t: ReturnType<typeof tempDir>;
  let first: Relay;
  let second: Relay;

  beforeAll(async () => {
    t = tempDir('keychange');
    first = await startRelay(`${t.dir}/first`);
    second = await startRelay(`${t.dir}/second`);
  });
  afterAll(async () => {
    await first.stop();
    await second.stop();
    t.cleanup();
  });

  it('send exits 4 and sends nothing; recv holds the new key\'s messages with a warning and exit 4', async () => {
    const alice = await newUser(t.dir, 'alice', first);
    const bob = await newUser(t.dir, 'bob', first);
    expect((await chat(['send', 'bob', 'hi bob'], { home: alice })).code).toBe(0); // alice pins bob
    expect((await chat(['recv'], { home: bob })).code).toBe(0); // bob pins alice

    // A new identity registers "bob" on a fresh relay.
    const newBob = await newUser(join(t.dir, 'new'), 'bob', second);

    // Pointed at the fresh relay, alice's client first notices the relay itself changed.
    const moved = await chat(['send', 'bob', 'are you there?'], { home: alice, env: { CHAT_RELAY: second.address } });
    expect(moved.code).toBe(6);
    expect(moved.stderr).toContain('chat login alice');

    // Alice re-joins deliberately; her pins stay.
    expect((await chat(['login', 'alice', '--relay', second.address], { home: alice })).code).toBe(0);
    const refused = await chat(['send', 'bob', 'the secret plan'], { home: alice });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^chat: error: bob's key on the relay is not the one you pinned/m);
    expect(refused.stderr).toMatch(/^chat: hint: nothing was sent; /m);
    expect(refused.stderr).not.toContain('the secret plan');
    expect(await chat(['recv'], { home: newBob })).toEqual({ code: 0, stdout: '', stderr: '' });

    // The new "bob" writes to alice: held, left on the relay, held again on the next recv.
    expect((await chat(['send', 'alice', 'trust me'], { home: newBob })).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const r = await chat(['recv'], { home: alice });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^chat: warning: held message [0-9a-f]{32} from bob: key changed\n$/);
    }
    // The pinned key is unchanged.
    const contacts = await chat(['contacts', '--json'], { home: alice });
    const bobsOldFp = JSON.parse((await chat(['whoami', '--json'], { home: bob })).stdout) as { fingerprint: string };
    expect(contacts.stdout).toContain(bobsOldFp.fingerprint);
  });
});
