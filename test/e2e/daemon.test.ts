/**
 * `chat daemon` (issue 16) end to end: the built binary with a real relay, its JSON-RPC socket driven by a client
 * written from docs/JSONRPC.md (test/helpers/rpc-client.ts), `chat send` / `chat recv` attaching to it, a second
 * daemon refused, a stale socket from a SIGKILLed daemon recovered, and the echo bot from examples/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, aliceAndBob, chat, jsonLines, newUser, startChat, type Running } from './harness.js';
import { RpcClient } from '../helpers/rpc-client.js';
import { rewriteHistory } from '../helpers/profile-db.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const ONLINE = /"event":"connection","state":"online"/;

/** `chat daemon --json` for `home`, once its live session is online. */
async function startDaemon(
  home: string,
  args: string[] = [],
  env?: Record<string, string | undefined>,
): Promise<Running> {
  const d = startChat(['daemon', '--json', ...args], env ? { home, env } : { home });
  await d.waitFor(ONLINE);
  return d;
}

/** Polls `check` (each call a round trip to the daemon) until it holds. */
async function untilAsync(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

async function stopDaemon(d: Running): Promise<number | null> {
  if (d.proc.exitCode === null) d.proc.kill('SIGTERM');
  return (await d.exit).code;
}

describe('chat daemon', () => {
  let t: TempDir;
  let relay: TestRelay;
  let alice: string;
  let bob: string;
  let daemon: Running;
  let rpc: RpcClient;

  beforeAll(async () => {
    ({ t, relay, alice, bob } = await aliceAndBob('daemon'));
    daemon = await startDaemon(bob);
    rpc = await RpcClient.connect(join(bob, 'daemon.sock'));
  });
  afterAll(async () => {
    rpc?.close();
    if (daemon) await stopDaemon(daemon);
    await relay.stop();
    t.cleanup();
  });

  it('listens on a 0600 socket and answers version', async () => {
    expect(statSync(join(bob, 'daemon.sock')).mode & 0o777).toBe(0o600);
    const r = await rpc.call('version');
    expect(r.result).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) as string, api: 1 });
  });

  it('notifies a subscriber of a message, sends, lists contacts and history', async () => {
    expect((await rpc.call('subscribe')).result).toEqual({ subscribed: true });
    expect((await chat(['send', 'bob', 'hello daemon'], { home: alice })).code).toBe(0);
    const n = await rpc.notification((x) => x.method === 'message' && x.params.body === 'hello daemon');
    expect(n.params).toMatchObject({ from: 'alice', to: 'bob', id: expect.stringMatching(/^[0-9a-f]{32}$/) as string });

    const sent = await rpc.call('send', { recipient: 'alice', message: 'hi from the api' });
    expect(sent.result).toMatchObject({ type: 'direct', to: 'alice', state: 'sent' });
    const id = (sent.result as { id: string }).id;
    const got = jsonLines<{ type: string; id: string; body: string }>(
      (await chat(['recv', '--json'], { home: alice })).stdout,
    );
    // Beside it, the receipt for alice's own first message (bob's daemon received it).
    expect(got.filter((e) => e.type === 'message')).toEqual([expect.objectContaining({ id, body: 'hi from the api' })]);

    const contacts = (await rpc.call('listContacts')).result as { username: string }[];
    expect(contacts.map((c) => c.username)).toEqual(['alice']);
    const history = (await rpc.call('history', { peer: 'alice', limit: 10 })).result as { body: string }[];
    expect(history.map((m) => m.body)).toEqual(['hello daemon', 'hi from the api']);
  });

  it('maps errors to JSON-RPC error objects with the CLI code', async () => {
    const missing = await rpc.call('send', { recipient: 'alice' });
    expect(missing.error).toMatchObject({ code: -32602, data: { code: 'USAGE' } });
    const positional = await rpc.call('send', ['alice', 'hi']);
    expect(positional.error).toMatchObject({ code: -32602, data: { code: 'USAGE' } });
    const badLimit = await rpc.call('history', { limit: 0 });
    expect(badLimit.error).toMatchObject({ code: -32602, data: { code: 'USAGE' } });
    const unknown = await rpc.call('send', { recipient: 'nobody', message: 'hi' });
    expect(unknown.error).toMatchObject({ code: -32003, data: { code: 'UNKNOWN_USER' } });
    expect((await rpc.call('noSuchMethod')).error).toMatchObject({ code: -32601 });
    rpc.writeLine('{not json');
    expect((await rpc.nextUnsolicited()).error).toMatchObject({ code: -32700 });
    // JSON-RPC 2.0 §4: an id is a string, a number or null; any other is an invalid request, not echoed (hunt1).
    for (const id of ['{"a":1}', '[1]', 'true']) {
      rpc.writeLine(`{"jsonrpc":"2.0","id":${id},"method":"version"}`);
      expect(await rpc.nextUnsolicited(), id).toMatchObject({ id: null, error: { code: -32600 } });
    }
    // Not a request at all, alone or in a batch: -32600, and the daemon lives on ([null] ended it: review rev15).
    for (const line of ['null', '0', '"x"', '[]']) {
      rpc.writeLine(line);
      expect(await rpc.nextUnsolicited(), line).toMatchObject({ id: null, error: { code: -32600 } });
    }
    rpc.writeLine('[null]');
    expect(await rpc.nextUnsolicited()).toEqual([
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) }),
    ]);
    expect((await rpc.call('version')).result).toMatchObject({ api: 1 });
    // The connection still serves after all of these.
    expect((await rpc.call('version')).result).toMatchObject({ api: 1 });
  });

  it('keeps serving when a subscribed client disconnects mid-stream', async () => {
    const gone = await RpcClient.connect(join(bob, 'daemon.sock'));
    expect((await gone.call('subscribe')).result).toEqual({ subscribed: true });
    const sending = chat(['send', 'bob', 'to a client that leaves'], { home: alice });
    await gone.notification((x) => x.params.body === 'to a client that leaves');
    gone.socket.destroy();
    expect((await sending).code).toBe(0);
    expect((await chat(['send', 'bob', 'after it left'], { home: alice })).code).toBe(0);
    await rpc.notification((x) => x.params.body === 'after it left');
    expect((await rpc.call('version')).result).toMatchObject({ api: 1 });
  });

  it.skipIf(process.getuid?.() !== 0)('another local user cannot connect to the socket', async () => {
    const sock = join(bob, 'daemon.sock');
    const asNobody = (): Promise<string> =>
      new Promise((res) => {
        const probe = spawn(
          process.execPath,
          [
            '-e',
            "require('node:net').createConnection(process.argv[1]).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => console.log(e.code))",
            sock,
          ],
          { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let out = '';
        probe.stdout.on('data', (d: Buffer) => (out += d.toString()));
        probe.on('close', () => res(out.trim()));
      });
    expect(await asNobody()).toBe('EACCES'); // the 0700 profile directory
    // Directories others may traverse (still not writable, so chat accepts them): the socket's own 0600 refuses.
    chmodSync(t.dir, 0o711);
    chmodSync(bob, 0o711);
    try {
      expect(await asNobody()).toBe('EACCES');
    } finally {
      chmodSync(bob, 0o700);
      chmodSync(t.dir, 0o700);
    }
  });

  it('answers a client that half-closes after its request, then closes', async () => {
    const once = await RpcClient.connect(join(bob, 'daemon.sock'));
    const answer = once.call('send', { recipient: 'alice', message: 'sent by a half-closed client' });
    once.socket.end(); // as `printf '…' | socat - UNIX-CONNECT:…` does after its last line
    expect((await answer).result).toMatchObject({ type: 'direct', to: 'alice', state: 'sent' });
    await once.closed;
  });

  it('closes a connection that sends a line over the limit, and keeps serving others', async () => {
    const big = await RpcClient.connect(join(bob, 'daemon.sock'));
    big.writeLine(`{"jsonrpc":"2.0","id":1,"method":"version","params":{"pad":"${'x'.repeat(1024 * 1024)}"}}`);
    expect((await big.nextUnsolicited()).error).toMatchObject({ code: -32600 });
    await big.closed;
    expect((await rpc.call('version')).result).toMatchObject({ api: 1 });
  });

  it('refuses a second daemon on the same profile', async () => {
    const second = await chat(['daemon', '--json'], { home: bob });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('(DAEMON_RUNNING)');
    expect((await rpc.call('version')).result).toMatchObject({ api: 1 }); // the first one is untouched
  });

  it('chat send and chat recv attach to the daemon instead of opening a session', async () => {
    // An unreachable relay address: a command that opened its own session would fail (exit 5).
    const env = { CHAT_RELAY: '127.0.0.1:1' };
    const s = await chat(['send', '--json', 'alice', 'through the daemon'], { home: bob, env });
    expect(s).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(s.stdout)[0]).toMatchObject({ to: 'alice', id: expect.any(String) as string });
    const unknown = await chat(['send', 'nobody', 'hi'], { home: bob, env });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('(UNKNOWN_USER)');

    // The daemon holds bob's receiving session: a chat recv told not to use it is refused by the relay, with a hint.
    const own = await chat(['recv'], { home: bob, env: { CHAT_NO_DAEMON: '1' } });
    expect(own.code).toBe(6);
    expect(own.stderr).toContain('(ALREADY_RECEIVING)');
    expect(own.stderr).toContain('chat recv and the interactive session attach to a running chat daemon');

    // recv --follow beside the daemon and beside the RPC subscriber: both see the message, no ALREADY_RECEIVING.
    const follow = await withSecondSubscriber(() => startChat(['recv', '--follow', '--json'], { home: bob, env }));
    expect((await chat(['send', 'bob', 'to every front end'], { home: alice })).code).toBe(0);
    await follow.waitFor(/"body":"to every front end"/);
    await rpc.notification((x) => x.params.body === 'to every front end');
    follow.proc.kill('SIGTERM');
    expect((await follow.exit).code).toBe(0);
    expect(follow.stderr()).toBe('');

    // With nobody subscribed, a message waits in the daemon for the next one-shot chat recv, shown once.
    expect((await rpc.call('unsubscribe')).result).toEqual({ subscribed: false });
    expect((await chat(['send', 'bob', 'for later'], { home: alice })).code).toBe(0);
    await untilAsync(async () => {
      const h = (await rpc.call('history', { peer: 'alice', limit: 1 })).result as { body: string }[];
      return h[0]?.body === 'for later';
    });
    const r1 = await chat(['recv'], { home: bob, env });
    expect(r1).toMatchObject({ code: 0, stderr: '' });
    expect(r1.stdout).toMatch(/^\[[^\]]+\] alice: for later\n$/);
    expect(await chat(['recv'], { home: bob, env })).toMatchObject({ code: 0, stdout: '' });

    // A rejection nobody saw is told by the next one-shot chat recv, as without a daemon (§4, §12: exit 0): alice
    // plays a modified client whose history claims bob's message is hers, and edits it.
    const bobsId = (jsonLines(s.stdout)[0] as { id: string }).id;
    expect((await chat(['recv'], { home: alice })).code).toBe(0);
    rewriteHistory(alice, "UPDATE messages SET direction = 'out' WHERE id = ?", bobsId);
    expect((await chat(['edit', bobsId, 'forged'], { home: alice })).code).toBe(0);
    expect((await chat(['send', 'bob', 'after the forgery'], { home: alice })).code).toBe(0);
    await untilAsync(async () => {
      const h = (await rpc.call('history', { peer: 'alice', limit: 1 })).result as { body: string }[];
      return h[0]?.body === 'after the forgery'; // delivered in order: the edit was refused before it
    });
    const r2 = await chat(['recv'], { home: bob, env });
    expect(r2.code).toBe(0);
    expect(r2.stdout).toMatch(/^\[[^\]]+\] alice: after the forgery\n$/);
    expect(r2.stderr).toMatch(
      /^chat: warning: rejected message [0-9a-f]{32}: NOT_AUTHOR \(alice may not edit a message sent by bob\)$/m,
    );
    expect(await chat(['recv'], { home: bob, env })).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('replies go through the daemon (replyTo), and edits reach subscribers as typed message objects (§17)', async () => {
    const env = { CHAT_RELAY: '127.0.0.1:1' }; // only the daemon can send for bob
    const first = jsonLines<{ id: string }>(
      (await chat(['send', '--json', 'bob', 'ship it?'], { home: alice })).stdout,
    )[0]!;
    await untilAsync(async () => {
      const h = (await rpc.call('history', { peer: 'alice', limit: 1 })).result as { id: string }[];
      return h[0]?.id === first.id;
    });
    const reply = await chat(['send', '--json', '--reply-to', first.id.slice(0, 8), 'alice', 'yes'], {
      home: bob,
      env,
    });
    expect(reply).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLines(reply.stdout)[0]).toMatchObject({ to: 'alice', reply_to: first.id });
    const wrong = await rpc.call('send', { recipient: 'alice', message: 'x', replyTo: 'ffffffff' });
    expect(wrong.error).toMatchObject({ data: { code: 'NO_SUCH_MESSAGE' } });

    expect((await rpc.call('subscribe')).result).toEqual({ subscribed: true });
    expect((await chat(['edit', first.id, 'ship it now?'], { home: alice })).code).toBe(0);
    const edit = await rpc.notification((x) => x.params.type === 'edit');
    expect(edit.params).toMatchObject({ type: 'edit', target: first.id, from: 'alice', body: 'ship it now?', seq: 1 });
    expect((await rpc.call('unsubscribe')).result).toEqual({ subscribed: false });

    const seen = jsonLines<{ type: string; body?: string; reply_to?: string }>(
      (await chat(['recv', '--json'], { home: alice })).stdout,
    );
    expect(seen).toContainEqual(expect.objectContaining({ type: 'message', body: 'yes', reply_to: first.id }));
  });

  it('passes file offers on: an event to subscribers (without the key), a line in chat recv --follow', async () => {
    expect((await rpc.call('subscribe')).result).toEqual({ subscribed: true });
    const follow = await withSecondSubscriber(() => startChat(['recv', '--follow'], { home: bob }));
    const file = join(t.dir, 'notes.txt');
    writeFileSync(file, 'file content\n');
    const offered = await chat(['send-file', 'bob', file], { home: alice });
    expect(offered.code).toBe(0);
    const n = await rpc.notification((x) => x.method === 'event' && x.params.type === 'file');
    expect(n.params).toMatchObject({ kind: 'offer', transfer: { name: 'notes.txt', peer: 'alice', size: 13 } });
    expect(Object.keys(n.params.transfer as object)).not.toContain('key');
    await follow.waitFor(/alice offers a file: notes\.txt \(13 bytes/);
    follow.proc.kill('SIGTERM');
    expect((await follow.exit).code).toBe(0);
    expect((await rpc.call('unsubscribe')).result).toEqual({ subscribed: false });
  });

  it.each([
    ['examples/echo-bot.mjs (Node)', process.execPath, 'examples/echo-bot.mjs', 'ping'],
    ['examples/echo_bot.py (Python)', 'python3', 'examples/echo_bot.py', 'pong'],
  ])('the echo bot %s answers a message', async (_name, interpreter, script, word) => {
    const bot = spawn(interpreter, [join(ROOT, script)], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CHAT_HOME: bob },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    bot.stdout.on('data', (d: Buffer) => (out += d.toString()));
    bot.stderr.on('data', (d: Buffer) => (err += d.toString()));
    /** Resolves once the bot has printed a line matching `re`; rejects if it exits first. */
    const printed = (re: RegExp): Promise<void> =>
      new Promise((res, rej) => {
        const check = (): void => {
          if (re.test(out)) res();
        };
        bot.stdout.on('data', check);
        bot.once('exit', (code) => rej(new Error(`${script} exited ${code}: ${err}`)));
        check();
      });
    const subscribed = printed(/^subscribed$/m);
    const echoed = printed(/^echoed [0-9a-f]{32}$/m);
    const aliceFollow = startChat(['recv', '--follow', '--json'], { home: alice });
    try {
      await subscribed;
      expect((await chat(['send', 'bob', word], { home: alice })).code).toBe(0);
      await echoed;
      await aliceFollow.waitFor(new RegExp(`"body":"echo: ${word}"`));
    } finally {
      bot.kill('SIGTERM');
      aliceFollow.proc.kill('SIGTERM');
      await aliceFollow.exit;
    }
    expect(out).not.toContain(word); // the bot prints ids, never text
  });

  it('unlocks passphrase-protected keys once: later commands need no passphrase; a wrong one leaves no socket', async () => {
    const carol = await newUser(t.dir, 'carol', relay, { sealed: true });
    const file = join(t.dir, 'carol-passphrase');
    writeFileSync(file, `${TEST_PASSPHRASE}\n`, { mode: 0o600 });
    writeFileSync(`${file}.wrong`, 'not it\n', { mode: 0o600 });
    const noPassphrase = { CHAT_PASSPHRASE: undefined };
    const wrong = await chat(['daemon', '--json', '--passphrase-file', `${file}.wrong`], {
      home: carol,
      env: noPassphrase,
    });
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toContain('BAD_PASSPHRASE');
    expect(existsSync(join(carol, 'daemon.sock'))).toBe(false);

    const d = await startDaemon(carol, ['--passphrase-file', file], noPassphrase);
    expect((await rpc.call('subscribe')).result).toEqual({ subscribed: true }); // bob's, unsubscribed above
    try {
      const s = await chat(['send', 'bob', 'no passphrase asked'], { home: carol, env: noPassphrase });
      expect(s).toMatchObject({ code: 0, stderr: '' });
      await rpc.notification((x) => x.params.body === 'no passphrase asked');
    } finally {
      expect(await stopDaemon(d)).toBe(0);
    }
  });

  it('waiting for its passphrase (a FIFO): answers signals, recv through it can be stopped, then it works', async () => {
    // hunt3: with the passphrase read synchronously from a FIFO the daemon answered nothing (not even SIGTERM), and a
    // `chat recv` through it hung past its timeout. (A request's bounded wait for a starting daemon: the unit test
    // of daemon/register.ts gate in server-connections.test.ts.)
    const dave = await newUser(t.dir, 'dave', relay, { sealed: true });
    const fifo = join(t.dir, 'dave-passphrase');
    execFileSync('mkfifo', [fifo]);
    const env = { CHAT_PASSPHRASE: undefined };
    const waiting = startChat(['daemon', '--json', '--passphrase-file', fifo], { home: dave, env });
    await waiting.waitFor(/"event":"listening"/);
    waiting.proc.kill('SIGTERM'); // still reading the FIFO: it stops all the same, its socket gone
    expect((await waiting.exit).code).toBe(0);
    expect(waiting.stdout()).toMatch(/"event":"stopped"/);
    expect(existsSync(join(dave, 'daemon.sock'))).toBe(false);

    const d = startChat(['daemon', '--json', '--passphrase-file', fifo], { home: dave, env });
    try {
      await d.waitFor(/"event":"listening"/);
      const recv = startChat(['recv'], { home: dave, env });
      await d.waitFor(/"event":"clients","open":1\}/);
      recv.proc.kill('SIGTERM');
      expect((await recv.exit).code).toBe(0);
      await writeFile(fifo, `${TEST_PASSPHRASE}\n`);
      await d.waitFor(ONLINE);
      await rpc.call('subscribe'); // bob's daemon tells us when dave's message is in
      const after = await chat(['send', 'bob', 'sent once the daemon was ready'], { home: dave, env });
      expect(after).toMatchObject({ code: 0, stderr: '' });
      await rpc.notification((x) => x.params.body === 'sent once the daemon was ready');
    } finally {
      expect(await stopDaemon(d)).toBe(0);
    }
  });

  it('logs lifecycle events only, never a message body', () => {
    for (const body of ['hello daemon', 'hi from the api', 'through the daemon', 'to every front end'])
      expect(daemon.stdout()).not.toContain(body);
    const events = new Set(jsonLines<{ event: string }>(daemon.stdout()).map((e) => e.event));
    expect([...events]).toEqual(expect.arrayContaining(['listening', 'ready', 'connection', 'clients', 'subscribers']));
  });

  it('stops on SIGTERM removing its socket; a stale socket from a SIGKILLed daemon is recovered', async () => {
    rpc.close();
    expect(await stopDaemon(daemon)).toBe(0);
    expect(daemon.stdout()).toMatch(/"event":"stopped"/);
    expect(existsSync(join(bob, 'daemon.sock'))).toBe(false);

    const killed = await startDaemon(bob);
    killed.proc.kill('SIGKILL');
    await killed.exit;
    expect(existsSync(join(bob, 'daemon.sock'))).toBe(true); // left behind
    // Without a live daemon chat recv opens its own session, as today.
    expect((await chat(['send', 'bob', 'while no daemon runs'], { home: alice })).code).toBe(0);
    const own = await chat(['recv'], { home: bob });
    expect(own).toMatchObject({ code: 0, stderr: '' });
    expect(own.stdout).toContain('alice: while no daemon runs');

    daemon = await startDaemon(bob);
    rpc = await RpcClient.connect(join(bob, 'daemon.sock'));
    expect((await rpc.call('version')).result).toMatchObject({ api: 1 });
  });

  /** Resolves once the daemon logs two subscribers once more than when called: `start` a second one in between. */
  async function withSecondSubscriber<T>(start: () => T): Promise<T> {
    const line = '"event":"subscribers","count":2}';
    const before = daemon.stdout().split(line).length - 1;
    const started = start();
    await daemon.waitFor(new RegExp(`(${line.replace(/[{}]/g, '\\$&')}[\\s\\S]*){${before + 1}}`));
    return started;
  }
});
