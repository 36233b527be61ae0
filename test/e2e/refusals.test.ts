/** What the relay refuses and what happens when it is gone: exit codes 5 and 6 (PROTOCOL.md §12). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser, startChat } from './harness.js';
import { relayBinary, relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { preparedKeys } from '../fixtures/profiles.js';

describe('refusals and an unreachable relay', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  let alice: string;

  // The relay binary only where its process is what dies (SIGKILL, SIGTERM); elsewhere the relay in this process.
  beforeAll(async () => {
    t = tempDir('refusals');
    relay = await relayInProcess(`${t.dir}/relay`);
    alice = await newUser(t.dir, 'alice', relay);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('a second chat recv while one is following is refused with exit 6', async () => {
    const follower = startChat(['recv', '--follow'], { home: alice });
    // Make sure the follower is in: a message sent to alice shows up in it.
    expect((await chat(['send', 'alice', 'note to self'], { home: alice })).code).toBe(0);
    await follower.waitFor(/alice: note to self/);

    const second = await chat(['recv'], { home: alice });
    expect(second.code).toBe(6);
    // The relay cannot say whose session it is; the profile can (receiving-marker.ts).
    expect(second.stderr).toMatch(
      /^chat: error: chat recv --follow \(pid \d+\) is already receiving for alice \(ALREADY_RECEIVING\)$/m,
    );
    expect(second.stderr).toContain('chat: hint: quit it first');

    // A send session runs beside the receiving one (§8).
    expect((await chat(['send', 'alice', 'still works'], { home: alice })).code).toBe(0);
    await follower.waitFor(/still works/);

    follower.proc.kill('SIGINT');
    const done = await follower.exit;
    expect(done.code).toBe(0);
    // Both were acknowledged before the follower exited.
    expect((await chat(['recv'], { home: alice })).stdout).toBe('');
  });

  it('another key logging in as an existing username is refused with exit 6 (KEY_MISMATCH)', async () => {
    const home = `${t.dir}/impostor`;
    preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
    const r = await chat(['login', 'alice', '--relay', relay.address], { home });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^chat: error: .*KEY_MISMATCH/m);
    expect(r.stderr).toMatch(/^chat: hint: /m);
    // Nothing was remembered: the impostor is not logged in.
    expect((await chat(['send', 'alice', 'hi'], { home })).code).toBe(1);
  });

  // 'connection refused' in the message shows it failed on the refusal itself, not by waiting out the connect timeout
  // (that one says it timed out); no wall-clock bound, which only measured how busy the machine was.
  it('relay not running: exit 5 on the refusal, for send, recv and login', async () => {
    const dead = await relayInProcess(`${t.dir}/dead`);
    const bob = await newUser(t.dir, 'bob', dead);
    await dead.stop();
    for (const args of [['send', 'alice', 'hi'], ['recv'], ['login', 'bob']]) {
      const r = await chat(args, { home: bob });
      expect(r.code, args[0]).toBe(5);
      expect(r.stderr).toContain('connection refused');
      expect(r.stderr).not.toMatch(/timed out|did not answer/);
      expect(r.stderr).toMatch(/^chat: hint: /m);
    }
  });

  it('a relay that dies under chat recv --follow: exit 5', async () => {
    const r2 = await relayBinary(`${t.dir}/dying`);
    const carol = await newUser(t.dir, 'carol', r2);
    const follower = startChat(['recv', '--follow'], { home: carol });
    expect((await chat(['send', 'carol', 'ping'], { home: carol })).code).toBe(0);
    await follower.waitFor(/carol: ping/);
    await r2.stop('SIGKILL');
    const done = await follower.exit;
    expect(done.code).toBe(5);
    expect(done.stderr).toMatch(/^chat: error: .*relay/m);
  });

  it('a relay stopped with SIGTERM under chat recv --follow: exit 5 (SHUTTING_DOWN)', async () => {
    const r3 = await relayBinary(`${t.dir}/stopping`);
    const dave = await newUser(t.dir, 'dave', r3);
    const follower = startChat(['recv', '--follow'], { home: dave });
    expect((await chat(['send', 'dave', 'ping'], { home: dave })).code).toBe(0);
    await follower.waitFor(/dave: ping/);
    expect(await r3.stop('SIGTERM')).toBe(0);
    expect((await follower.exit).code).toBe(5);
  });
});
