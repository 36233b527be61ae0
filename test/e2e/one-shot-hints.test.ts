/**
 * The one-shot commands people trip over (issue 15), through the built binaries: keygen's next step names the relay's
 * address, and a body over the limit on stdin suggests the `chat send-file` that fits the recipient.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';

describe('one-shot hints', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  beforeAll(async () => {
    t = tempDir('e2e-one-shot-hints');
    relay = await relayInProcess(`${t.dir}/relay`);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it("after keygen, the next step asks for the relay's address, not a fingerprint", async () => {
    const k = await chat(['keygen'], { home: join(t.dir, 'new') });
    expect(k.code).toBe(0);
    expect(k.stdout).toMatch(
      /^next: chat login <name> --relay <the relay's address, chat:\/\/\.\.\.@host:port, from its operator>$/m,
    );
  });

  it('a body over the limit on stdin: send-file to that user; split for a group', async () => {
    const alice = await newUser(t.dir, 'alice', relay);
    await newUser(t.dir, 'bob', relay);
    const big = 'x'.repeat(70_000);
    const toBob = await chat(['send', 'bob', '-'], { home: alice, stdin: big });
    expect(toBob.code).toBe(2);
    expect(toBob.stderr).toContain('(BODY_TOO_LARGE)');
    expect(toBob.stderr).toContain('chat: hint: send it as a file instead: chat send-file bob <file>');
    const toGroup = await chat(['send', '#team', '-'], { home: alice, stdin: big });
    expect(toGroup.code).toBe(2);
    expect(toGroup.stderr).toContain('files go to one user at a time');
  });
});
