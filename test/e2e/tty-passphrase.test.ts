/**
 * The passphrase asked on the terminal when stdin is a pipe (as ssh and gpg do): `echo hi | chat send bob -` in a real
 * terminal (tmux) prompts on /dev/tty, and the message goes out; with no controlling terminal at all (the harness
 * spawns chat in a session of its own, as cron and CI do) it still exits 7 with its hint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, chat, jsonLines, newUser } from './harness.js';
import { relayInProcess, type InProcessRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { Tmux } from './tmux.js';

describe('a passphrase for piped input', () => {
  let t: TempDir;
  let relay: InProcessRelay;
  let alice: string;
  let bob: string;
  const tmux = new Tmux();

  beforeAll(async () => {
    Tmux.check();
    t = tempDir('tty-pass');
    relay = await relayInProcess(`${t.dir}/relay`);
    alice = await newUser(t.dir, 'alice', relay, { sealed: true }); // keys sealed with TEST_PASSPHRASE
    bob = await newUser(t.dir, 'bob', relay);
  });
  afterAll(async () => {
    tmux.kill();
    await relay.stop();
    t.cleanup();
  });

  it('stdin is a pipe, the terminal is there: chat asks on /dev/tty (hidden) and sends the piped text', async () => {
    tmux.start('alice', alice, ['send', 'bob', '-'], { askPassphrase: true, pipe: 'hi from a pipe\n' });
    await tmux.waitFor('alice', /passphrase for .*alice:/);
    tmux.type('alice', TEST_PASSPHRASE);
    expect(tmux.capture('alice')).not.toContain(TEST_PASSPHRASE); // not echoed
    tmux.keys('alice', 'Enter');
    const screen = await tmux.waitFor('alice', /\[chat exited \d+\]/);
    expect(screen).toContain('[chat exited 0]');
    expect(screen).not.toContain(TEST_PASSPHRASE);
    const r = await chat(['recv', '--json'], { home: bob });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toContainEqual(expect.objectContaining({ from: 'alice', body: 'hi from a pipe' }));
  });

  it('no controlling terminal (cron, CI): exit 7 with the hint, nothing sent', async () => {
    const r = await chat(['send', 'bob', '-'], {
      home: alice,
      stdin: 'not sent\n',
      env: { CHAT_PASSPHRASE: undefined },
    });
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/there is no terminal to ask for it \(PASSPHRASE_REQUIRED\)/);
    expect(r.stderr).toMatch(/^chat: hint: set CHAT_PASSPHRASE or pass --passphrase-file <file>$/m);
    expect((await chat(['recv', '--json'], { home: bob })).stdout).not.toContain('not sent');
  });
});
