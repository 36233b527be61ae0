/** Commands that need no relay, called as plain functions with a real temp CHAT_HOME. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preparedKeys } from '../../../../test/fixtures/profiles.js';
import { memIo, tempDir } from '../../test/helpers.js';
import { Profile } from '../engine/profile.js';
import { contacts } from './contacts.js';
import { runCommand } from './io.js';
import { keygen } from './keygen.js';
import { login } from './login.js';
import { messageText, send } from './send.js';
import { whoami } from './whoami.js';

describe('commands without a relay', () => {
  let t: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  beforeEach(() => {
    t = tempDir('cmd');
    // Keys sealed with a passphrase from the environment, as a script would (PROTOCOL.md §13.1).
    env = { CHAT_HOME: join(t.dir, 'home'), CHAT_PASSPHRASE: 'test passphrase' };
  });
  afterEach(() => t.cleanup());
  /**
   * Keys for the tests that need an identity but are not about making one: unencrypted, made in this process, so
   * neither keygen nor scrypt runs for them (the keygen test covers both).
   */
  const home = (): string => env.CHAT_HOME ?? '';

  it('keygen creates a 0600 identity, prints the fingerprint, and refuses to overwrite without --force', async () => {
    const io = memIo(env);
    expect(await runCommand(io, () => keygen({}, io))).toBe(0);
    const fp = /fingerprint: ((?:[0-9A-F]{4} ){7}[0-9A-F]{4})/.exec(io.out())?.[1];
    expect(fp).toBeDefined();
    expect(statSync(join(env.CHAT_HOME ?? '', 'identity.json')).mode & 0o777).toBe(0o600);

    const again = memIo(env);
    expect(await runCommand(again, () => keygen({}, again))).toBe(1);
    expect(again.err()).toMatch(/^chat: error: an identity already exists/);
    expect(again.err()).toContain('chat: hint: use chat keygen --force');

    const who = memIo(env);
    expect(await runCommand(who, () => whoami({ json: true }, who))).toBe(0);
    expect(JSON.parse(who.out())).toMatchObject({ username: null, fingerprint: fp });
    expect(who.err()).toContain('chat: hint: run chat login');

    const forced = memIo(env);
    expect(await runCommand(forced, () => keygen({ force: true, json: true }, forced))).toBe(0);
    expect((JSON.parse(forced.out()) as { fingerprint: string }).fingerprint).not.toBe(fp);
    expect(forced.err()).toContain('chat: warning: replaced the previous identity');
  });

  it('whoami, login and send without an identity say to run chat keygen (exit 1)', async () => {
    for (const run of [
      (io: ReturnType<typeof memIo>) => whoami({}, io),
      (io: ReturnType<typeof memIo>) => login({ username: 'alice', relay: '127.0.0.1:1' }, io),
      (io: ReturnType<typeof memIo>) => send({ username: 'bob', message: ['hi'] }, io),
    ]) {
      const io = memIo(env);
      expect(await runCommand(io, () => run(io))).toBe(1);
      expect(io.err()).toContain('chat: hint: run chat keygen');
    }
  });

  it('send before login says to run chat login (exit 1)', async () => {
    preparedKeys(home());
    const io = memIo(env);
    expect(await runCommand(io, () => send({ username: 'bob', message: ['hi'] }, io))).toBe(1);
    expect(io.err()).toBe(
      'chat: error: not logged in (NOT_LOGGED_IN)\nchat: hint: run chat login <name> --relay host:port\n',
    );
  });

  it('login validates the username (exit 2) and the relay address (exit 2) before connecting', async () => {
    preparedKeys(home());
    const bad = memIo(env);
    expect(await runCommand(bad, () => login({ username: 'no spaces', relay: '127.0.0.1:1' }, bad))).toBe(2);
    expect(bad.err()).toContain('invalid username "no spaces"');
    const badRelay = memIo(env);
    expect(await runCommand(badRelay, () => login({ username: 'alice', relay: 'nope:port' }, badRelay))).toBe(2);
  });

  it('login to a closed port exits 5', async () => {
    preparedKeys(home());
    const io = memIo(env);
    expect(await runCommand(io, () => login({ username: 'alice', relay: '127.0.0.1:1' }, io))).toBe(5);
    expect(io.err()).toContain('connection refused');
  });

  it('send refuses a bad recipient or an oversized body (exit 2) before connecting', async () => {
    preparedKeys(home());
    // A relay address where nothing listens: reaching the network would be exit 5, not 2.
    new Profile(home()).saveConfig({
      version: 1,
      username: 'alice',
      relay: '127.0.0.1:1',
      relayId: '00'.repeat(32),
    });
    const badName = memIo(env);
    expect(await runCommand(badName, () => send({ username: 'Bob Smith', message: ['hi'] }, badName))).toBe(2);
    const big = memIo(env);
    expect(await runCommand(big, () => send({ username: 'bob', message: ['é'.repeat(30_001)] }, big))).toBe(2);
    expect(big.err()).toContain('60000 bytes');
    expect(big.err()).not.toContain('ééé');
    const ok = memIo(env);
    expect(await runCommand(ok, () => send({ username: 'bob', message: ['hi'] }, ok))).toBe(5);
  });

  it('contacts on an empty profile lists nothing and creates no database', async () => {
    const io = memIo(env);
    expect(await runCommand(io, () => contacts({ json: true }, io))).toBe(0);
    expect(io.out()).toBe('');
  });
});

describe('messageText (argument validation)', () => {
  it('joins the words', async () => {
    expect(await messageText(['hello', 'there', 42], memIo({}))).toBe('hello there 42');
  });

  it('reads stdin for "-" and drops one trailing newline', async () => {
    expect(await messageText(['-'], memIo({}, 'from stdin\n\n'))).toBe('from stdin\n');
  });

  it('reads stdin when there are no words and stdin is not a terminal', async () => {
    expect(await messageText([], memIo({}, 'piped'))).toBe('piped');
  });

  it('is a usage error with no words on a terminal, or an empty message', async () => {
    await expect(messageText([], memIo({}))).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
    await expect(messageText(['-'], memIo({}, '\n'))).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
  });

  it('refuses stdin over 60000 bytes and invalid UTF-8 (exit 2)', async () => {
    await expect(messageText(['-'], memIo({}, 'x'.repeat(60_003)))).rejects.toMatchObject({
      code: 'BODY_TOO_LARGE',
      exitCode: 2,
    });
    // The hint names the recipient, or for a group says files go to one user at a time.
    await expect(messageText(['-'], memIo({}, 'x'.repeat(60_003)), 'bob')).rejects.toMatchObject({
      hint: 'send it as a file instead: chat send-file bob <file>',
    });
    await expect(messageText(['-'], memIo({}, 'x'.repeat(60_003)), '#team')).rejects.toMatchObject({
      hint: expect.stringContaining('files go to one user at a time: chat send-file <username> <file>') as string,
    });
    const io = memIo({});
    const { Readable } = await import('node:stream');
    io.stdin = Readable.from([Buffer.from([0x68, 0xff, 0x69])]);
    await expect(messageText(['-'], io)).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
  });
});
