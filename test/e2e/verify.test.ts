/** `chat verify`, `chat trust` and `--trust-new-identities` through the binaries (PROTOCOL.md §3.4, §3.5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceAndBob, chat, newUser } from './harness.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';

describe('verifying a contact', () => {
  let t: TempDir;
  let relay: TestRelay;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    ({ t, relay, alice, bob } = await aliceAndBob('verify'));
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('chat verify shows 12 groups of 5 digits and a QR code; --no-qr leaves it out; an unknown user exits 3', async () => {
    const v = await chat(['verify', 'bob'], { home: alice });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(
      /^safety number with bob \(unverified\):\n\n {4}(\d{5} ){3}\d{5}\n {4}(\d{5} ){3}\d{5}\n {4}(\d{5} ){3}\d{5}\n\ntheir fingerprint: /,
    );
    expect(v.stdout).toMatch(/[▀▄█]{7}/); // the QR code's half blocks: a finder pattern is always 7 in a row
    expect(v.stdout).toMatch(/chat trust bob --verify "(\d{5} ){11}\d{5}"\n$/);
    const plain = await chat(['verify', 'bob', '--no-qr'], { home: alice });
    expect(plain.stdout).not.toMatch(/[▀▄█]/);
    const unknown = await chat(['verify', 'nobody'], { home: alice });
    expect(unknown.code).toBe(3);
    const contacts = await chat(['contacts'], { home: alice });
    expect(contacts.stdout).toMatch(/^bob {2}([0-9A-F]{4} ){7}[0-9A-F]{4} {2}unverified {2}first seen /);
  });

  it('--trust-new-identities never: send refused (exit 4) and messages held until chat trust, then shown', async () => {
    const carol = await newUser(t.dir, 'carol', relay);
    const refused = await chat(['send', 'carol', 'hi', '--trust-new-identities', 'never'], { home: bob });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^chat: error: carol's key .* is not trusted yet/m);
    // carol writes to bob; bob's client (policy from the environment) holds it.
    expect((await chat(['send', 'bob', 'from carol'], { home: carol })).code).toBe(0);
    const env = { CHAT_TRUST_NEW_IDENTITIES: 'never' };
    const held = await chat(['recv'], { home: bob, env });
    expect(held.code).toBe(4);
    expect(held.stderr).toMatch(/held message [0-9a-f]{32} from carol: key not trusted yet/);
    const trusted = await chat(['trust', 'carol', '--json'], { home: bob, env });
    expect(JSON.parse(trusted.stdout)).toMatchObject({ username: 'carol', trust: 'unverified', acceptedNewKey: true });
    const shown = await chat(['recv'], { home: bob, env });
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toMatch(/carol: from carol\n$/);
    expect((await chat(['send', 'carol', 'hi', '--trust-new-identities', 'never'], { home: bob })).code).toBe(0);
    const bad = await chat(['send', 'carol', 'x', '--trust-new-identities', 'sometimes'], { home: bob });
    expect(bad.code).toBe(2);
  });
});
