/**
 * Trust on first use (§3.4) through the binaries: bob's name comes back with another key on a fresh relay. Alice,
 * who pinned the old key, must first re-join the new relay (its id changed: exit 6), then is refused to send
 * (exit 4, nothing sent), and messages signed by the new key are held, not shown and not acknowledged.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';

describe('a contact whose key changed', () => {
  let t: TempDir;
  let first: InProcessRelay;
  let second: InProcessRelay;

  beforeAll(async () => {
    t = tempDir('keychange');
    first = await relayInProcess(`${t.dir}/first`);
    second = await relayInProcess(`${t.dir}/second`);
  });
  afterAll(async () => {
    await first.stop();
    await second.stop();
    t.cleanup();
  });

  it("send exits 4 and sends nothing; recv holds the new key's messages with a warning and exit 4", async () => {
    const alice = await newUser(t.dir, 'alice', first);
    const bob = await newUser(t.dir, 'bob', first);
    expect((await chat(['send', 'bob', 'hi bob'], { home: alice })).code).toBe(0); // alice pins bob
    expect((await chat(['recv'], { home: bob })).code).toBe(0); // bob pins alice

    // They compare safety numbers: the same 60 digits on both sides; alice marks bob verified.
    const aliceView = JSON.parse((await chat(['verify', 'bob', '--json'], { home: alice })).stdout) as {
      safetyNumber: string;
      trust: string;
    };
    const bobView = JSON.parse((await chat(['verify', 'alice', '--json'], { home: bob })).stdout) as {
      safetyNumber: string;
    };
    expect(aliceView.safetyNumber).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(bobView.safetyNumber).toBe(aliceView.safetyNumber);
    expect(aliceView.trust).toBe('unverified');
    const verified = await chat(['trust', 'bob', '--verify', bobView.safetyNumber], { home: alice });
    expect(verified).toMatchObject({ code: 0, stdout: 'bob is verified (safety numbers match)\n' });
    const bobsOldFp = (JSON.parse((await chat(['whoami', '--json'], { home: bob })).stdout) as { fingerprint: string })
      .fingerprint;

    // A new identity registers "bob" on a fresh relay.
    const newBob = await newUser(join(t.dir, 'new'), 'bob', second);

    // Pointed at the fresh relay, alice's client first notices the relay itself changed.
    const moved = await chat(['send', 'bob', 'are you there?'], { home: alice, env: { CHAT_RELAY: second.address } });
    expect(moved.code).toBe(6);
    expect(moved.stderr).toContain('chat login alice');

    // Alice re-joins deliberately; her pins stay.
    expect((await chat(['login', 'alice', '--relay', second.address], { home: alice })).code).toBe(0);
    const newBobFp = (
      JSON.parse((await chat(['whoami', '--json'], { home: newBob })).stdout) as { fingerprint: string }
    ).fingerprint;
    const refused = await chat(['send', 'bob', 'the secret plan'], { home: alice });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(
      `chat: error: bob's key changed: you accepted ${bobsOldFp}, the relay now gives ${newBobFp}; nothing was sent (KEY_CHANGED)`,
    );
    expect(refused.stderr).toMatch(
      /^chat: hint: compare safety numbers with bob in person \(chat verify bob\), then accept the new key with chat trust bob/m,
    );
    expect(refused.stderr).not.toContain('the secret plan');
    // Verified fell back: bob is now "changed", with the new key pending.
    const listed = JSON.parse((await chat(['contacts', '--json'], { home: alice })).stdout) as Record<string, unknown>;
    expect(listed).toMatchObject({
      username: 'bob',
      trust: 'changed',
      fingerprint: bobsOldFp,
      pendingFingerprint: newBobFp,
      verifiedAt: null,
    });
    expect(await chat(['recv'], { home: newBob })).toEqual({ code: 0, stdout: '', stderr: '' });

    // The new "bob" writes to alice: held, left on the relay, held again on the next recv.
    expect((await chat(['send', 'alice', 'trust me'], { home: newBob })).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const r = await chat(['recv'], { home: alice });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^chat: warning: held message [0-9a-f]{32} from bob: key changed\nchat: hint: it stays on the relay; compare safety numbers \(chat verify bob\), accept the key with chat trust bob, then chat recv again\n$/,
      );
    }
    // The accepted key is unchanged.
    expect((await chat(['contacts', '--json'], { home: alice })).stdout).toContain(bobsOldFp);

    // A wrong safety number changes nothing (exit 4).
    const newView = JSON.parse((await chat(['verify', 'alice', '--json'], { home: newBob })).stdout) as {
      safetyNumber: string;
    };
    const wrong = await chat(['trust', 'bob', '--verify', aliceView.safetyNumber], { home: alice });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(
      /^chat: error: the safety number you entered does not match the one for bob .*nothing was changed/m,
    );
    expect(JSON.parse((await chat(['contacts', '--json'], { home: alice })).stdout)).toMatchObject({
      trust: 'changed',
      fingerprint: bobsOldFp,
    });
    expect((await chat(['send', 'bob', 'still blocked'], { home: alice })).code).toBe(4);

    // Alice's chat verify shows the number for the new key, equal to new bob's; accepting it releases the held message.
    const pendingView = JSON.parse((await chat(['verify', 'bob', '--json'], { home: alice })).stdout) as {
      safetyNumber: string;
      forPendingKey: boolean;
    };
    expect(pendingView).toMatchObject({ safetyNumber: newView.safetyNumber, forPendingKey: true });
    const accepted = await chat(['trust', 'bob', '--verify', newView.safetyNumber], { home: alice });
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain(`accepted bob's key ${newBobFp} (was ${bobsOldFp})`);
    const released = await chat(['recv'], { home: alice });
    expect(released).toMatchObject({ code: 0, stderr: '' });
    expect(released.stdout).toMatch(/bob: trust me\n$/);
    expect(JSON.parse((await chat(['contacts', '--json'], { home: alice })).stdout)).toMatchObject({
      trust: 'verified',
      fingerprint: newBobFp,
      pendingFingerprint: null,
    });
    expect((await chat(['send', 'bob', 'welcome back'], { home: alice })).code).toBe(0);
    expect((await chat(['recv'], { home: newBob })).stdout).toMatch(/alice: welcome back\n$/);
    // About 30 runs of the binary, each unlocking its keys: more than the default timeout on a loaded 2-core machine.
  });
});
