/**
 * `chat group …`, `chat groups`, `chat join` / `leave` / `rooms`, `chat send-file`, `chat files [accept|decline]`,
 * `chat expire` and `chat admin` ask bob's daemon while it runs (issue 16): each runs with no passphrase and an
 * unreachable relay address, so a command that opened a session of its own would fail; their output is compared with
 * the same command in a session of its own (CHAT_NO_DAEMON=1) where it does not change anything. Alice has no daemon:
 * she acts in sessions of her own. One relay, one daemon, prepared profiles (bob's keys sealed once).
 *
 * The session of its own runs in bob's twin: a directory whose identity.json is bob's from before the seal (the same
 * keys and storage key, unencrypted) and whose every other entry is a symbolic link to bob's (chat.db and the rest;
 * SQLite follows the link, so its -wal and -shm are bob's). It reads the state the daemon writes without a scrypt run
 * per command (0.7 s of CPU each, about 17 of them); how keys are unlocked is keys-at-rest.test.ts's subject.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageKind, randomMessageId, toHex, utf8 } from '@chat/crypto';
import { Profile } from '@chat/cli';
import { Store } from '../../packages/cli/src/engine/store/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSPHRASE, aliceAndBob, chat, startChat, type Result, type Running } from './harness.js';
import { RpcClient, type RpcNotification } from '../helpers/rpc-client.js';
import { preparedProfile } from '../fixtures/profiles.js';
import type { TestRelay } from '../fixtures/relay.js';
import type { TempDir } from '../fixtures/temp.js';

type Obj = Record<string, unknown>;

/** Only the daemon can succeed: no passphrase to unlock bob's sealed keys, no relay at this address. */
const ATTACHED = { CHAT_RELAY: '127.0.0.1:1', CHAT_PASSPHRASE: undefined };

const event =
  (type: string, f: (p: Obj) => boolean = () => true) =>
  (n: RpcNotification) =>
    n.params.type === type && f(n.params);

describe('chat commands attach to the daemon', () => {
  let t: TempDir;
  let relay: TestRelay;
  let alice: string;
  let bob: string;
  /** bob's twin (see the file comment): his state, his keys unencrypted. */
  let twin: string;
  let daemon: Running;
  let events: RpcClient;
  /** bob's command through his daemon (in `cwd` when given). */
  const attached = (args: string[], cwd?: string): Promise<Result> =>
    chat(args, { home: bob, env: ATTACHED, ...(cwd ? { cwd } : {}) });
  /** bob's command in a session of its own beside the daemon, as without one. */
  const own = (args: string[]): Promise<Result> =>
    chat(args, { home: twin, env: { CHAT_NO_DAEMON: '1', CHAT_PASSPHRASE: undefined } });
  const asAlice = async (args: string[]): Promise<Result> => {
    const r = await chat(args, { home: alice });
    expect(r, `alice: chat ${args.join(' ')}`).toMatchObject({ code: 0 });
    return r;
  };
  /** The command gives the same output attached and in a session of its own. */
  const same = async (args: string[]): Promise<Result> => {
    const [a, o] = [await attached(args), await own(args)];
    expect(a, `chat ${args.join(' ')}`).toMatchObject({ code: 0, stderr: '' });
    expect(a).toEqual(o);
    return a;
  };

  /** The command fails with `code` and the same exit code and message attached and in a session of its own. */
  const sameError = async (args: string[], code: string): Promise<Result> => {
    const [a, o] = [await attached(args), await own(args)];
    expect(a.stderr, `chat ${args.join(' ')}`).toContain(`(${code})`);
    expect(a).toEqual(o);
    return a;
  };

  beforeAll(async () => {
    ({ t, relay, alice, bob } = await aliceAndBob('daemon-commands'));
    twin = join(t.dir, 'bob-twin');
    mkdirSync(twin, { mode: 0o700 });
    for (const f of readdirSync(bob)) {
      if (f === 'identity.json') copyFileSync(join(bob, f), join(twin, f));
      else symlinkSync(join(bob, f), join(twin, f));
    }
    // Prepared keys are unsealed: seal bob's (one KDF), so a command that unlocks them itself needs the passphrase.
    const sealed = await chat(['passwd'], {
      home: bob,
      env: { CHAT_PASSPHRASE: undefined, CHAT_NEW_PASSPHRASE: TEST_PASSPHRASE },
    });
    expect(sealed).toMatchObject({ code: 0 });
    daemon = startChat(['daemon', '--json'], { home: bob });
    await daemon.waitFor(/"event":"connection","state":"online"/);
    events = await RpcClient.connect(join(bob, 'daemon.sock'));
    expect((await events.call('subscribe')).error).toBeUndefined();
  });
  afterAll(async () => {
    events?.close();
    if (daemon && daemon.proc.exitCode === null) daemon.proc.kill('SIGTERM');
    await daemon?.exit;
    await relay?.stop();
    t?.cleanup();
  });

  it('without the daemon the same command asks for the passphrase (the test can fail)', async () => {
    const r = await chat(['groups'], { home: bob, env: { ...ATTACHED, CHAT_NO_DAEMON: '1' } });
    expect(r.code).not.toBe(0);
  });

  it('chat group create, members, add, rename, remove, chat groups and a group timer', async () => {
    const created = await attached(['group', 'create', '#team', 'alice', '--json']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const g = JSON.parse(created.stdout) as { id: string };
    expect(g).toMatchObject({ name: 'team', version: 1, member: true });
    expect(g).not.toHaveProperty('failed');
    const members = await same(['group', 'members', 'team']);
    expect(members.stdout).toBe(`#team (${g.id.slice(0, 8)}, version 1)\n  alice\n  bob (admin)\n`);
    expect((await same(['groups'])).stdout).toBe(`#team  ${g.id.slice(0, 8)}  2 members\n`);
    await same(['groups', '--json']);

    expect(await attached(['group', 'rename', 'team', '#crew'])).toMatchObject({
      code: 0,
      stdout: '#crew: rename done (version 2)\n',
    });
    const carol = await attached(['group', 'add', 'crew', 'carol']);
    expect(carol.code).not.toBe(0);
    expect(carol.stderr).toContain('unknown user carol');
    await sameError(['group', 'remove', 'nosuch', 'alice'], 'NO_SUCH_GROUP');
    expect((await attached(['group', 'add', 'crew'])).stderr).toContain('(USAGE)');

    expect(await attached(['expire', '#crew', '1h'])).toMatchObject({
      code: 0,
      stdout:
        'disappearing messages with #crew: 1 h (each new message is deleted 1 h after it arrives, on both sides)\n',
    });
    expect((await same(['expire', '#crew'])).stdout).toBe('disappearing messages with #crew: 1 h (set by bob)\n');
    expect(await attached(['group', 'remove', 'crew', 'alice', '--json'])).toMatchObject({ code: 0, stderr: '' });
    expect((await same(['groups'])).stdout).toBe(`#crew  ${g.id.slice(0, 8)}  1 members\n`);
  });

  it('chat verify prints the safety number and its QR code attached, as alone (hunt1: qrcode did not load)', async () => {
    const v = await same(['verify', 'alice']);
    expect(v.stdout).toContain('safety number with alice');
    expect(v.stdout).toContain('▀'); // the QR code's half blocks
    expect(v.stdout).toMatch(/chat trust alice --verify "(\d{5} ){11}\d{5}"\n$/);
  });

  it('chat expire with a contact and a room', async () => {
    const r = await attached(['expire', 'alice', '1d', '--json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ conv: 'alice', seconds: 86_400 });
    expect(await attached(['expire', 'Alice', 'off'])).toMatchObject({
      code: 0,
      stdout: 'disappearing messages off with alice\n',
    });
    expect((await sameError(['expire', 'room:general', '1h'], 'USAGE')).stderr).toContain(
      'rooms have no disappearing messages',
    );
  });

  it('chat block and unblock through the daemon, whose session sends at once what the unblock releases', async () => {
    // Carol, not alice: bob writing to alice would make her a contact, whose invitations the test below must not see
    // accepted at once (§15.7).
    const carol = join(t.dir, 'carol');
    await preparedProfile(carol, 'carol', relay);
    const r = await attached(['block', 'carol', '--json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ username: 'carol', blocked: true, changed: true, queued: [] });
    // The daemon's own session refuses to send to her now.
    expect((await events.call('send', { recipient: 'carol', message: 'x' })).error).toMatchObject({
      data: { code: 'BLOCKED' },
    });
    // A text to carol queued in bob's history (as one written offline before the block is): held, nothing sends it.
    const keys = await new Profile(twin).unlockKeys(undefined);
    const store = Store.open(join(bob, 'chat.db'), keys.storageKey);
    const id = toHex(randomMessageId());
    const body = 'held until the unblock';
    const row = { id, peer: 'carol', direction: 'out' as const, body, ts: Date.now(), relayTs: null, receivedAt: 1 };
    store.outbox.enqueue({ id, peer: 'carol', kind: MessageKind.text, body: utf8(body), ts: row.ts }, row);
    store.close();
    const listening = startChat(['recv', '--follow'], { home: carol });
    try {
      const u = await attached(['unblock', 'Carol']);
      expect(u).toMatchObject({ code: 0, stdout: 'unblocked carol; 1 queued message to them no longer held\n' });
      // Nothing else makes bob's daemon send now: only its unblock's pass of the outbox.
      await listening.waitFor(/held until the unblock/);
    } finally {
      listening.proc.kill('SIGTERM');
      await listening.exit;
    }
  });

  it('chat group accept and decline an invitation, leave', async () => {
    await asAlice(['group', 'create', 'side', 'bob']);
    await asAlice(['group', 'create', 'other', 'bob']);
    const invites: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      invites.push(
        (await events.notification(event('group_event', (p) => p.kind === 'invite' && !invites.includes(p.group))))
          .params.group,
      );
    }
    const invited = await same(['group', 'members', 'side']);
    expect(invited.stdout).toMatch(/^#side \([0-9a-f]{8}, version 1\) — an invitation from alice\n/);
    expect((await same(['groups'])).stdout).toContain('  (invited by alice)\n');
    await sameError(['group', 'leave', 'side'], 'GROUP_PENDING');

    const accepted = await attached(['group', 'accept', 'side', '--json']);
    expect(accepted).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(accepted.stdout)).toMatchObject({ name: 'side', member: true, accepted: true });
    expect(await attached(['group', 'decline', '#other'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^#other \([0-9a-f]{8}\): declined and forgotten\n$/),
    });
    await sameError(['group', 'accept', 'other'], 'NO_SUCH_GROUP');
    expect(await attached(['group', 'leave', 'side'])).toEqual({
      code: 0,
      stdout: '#side: leave done (version 2)\n',
      stderr: '',
    });
    expect((await same(['groups'])).stdout).toMatch(/^#side {2}[0-9a-f]{8} {2}1 members {2}\(left\)\n$/m);
  });

  it('chat join, rooms, leave', async () => {
    expect(await attached(['join', '#general'])).toEqual({
      code: 0,
      stdout: 'joined #general (1 members)\n',
      stderr: '',
    });
    expect((await same(['rooms'])).stdout).toContain('#general  (joined)\n');
    await same(['rooms', '--json']);
    const left = await attached(['leave', 'general', '--json']);
    expect(left).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(left.stdout)).toEqual({ room: 'general', members: [] });
    await sameError(['join', 'nosuch'], 'UNKNOWN_ROOM');
  });

  it('chat admin asks the relay on the session of the daemon (bob is no admin: the same refusal)', async () => {
    expect((await sameError(['admin', 'stats'], 'FORBIDDEN')).stderr).toContain('bob is not an admin');
  });

  it('chat send-file (a relative path), files, files accept (a relative --dir) and files decline', async () => {
    const work = join(t.dir, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'notes.txt'), 'from bob\n');
    const offered = await attached(['send-file', 'alice', 'notes.txt'], work);
    expect(offered).toMatchObject({
      code: 0,
      stderr: '',
      stdout: expect.stringMatching(/^offered notes\.txt \(9 bytes\) to alice \(id [0-9a-f]{8}\)\n$/),
    });

    const theirs = join(t.dir, 'report.txt');
    writeFileSync(theirs, 'from alice\n');
    await asAlice(['send-file', 'bob', theirs]);
    await asAlice(['send-file', 'bob', theirs]);
    const offers: string[] = [];
    for (let i = 0; i < 2; i++) {
      const n = await events.notification(event('file', (p) => p.kind === 'offer' && !offers.includes(id(p))));
      offers.push(id(n.params));
    }
    const list = await same(['files']);
    expect(list.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    await same(['files', '--json']);

    const saved = await attached(['files', 'accept', offers[0]!.slice(0, 8), '--dir', 'in', '--json'], work);
    expect(saved).toMatchObject({ code: 0, stderr: '' });
    const got = JSON.parse(saved.stdout) as { event: string; path: string };
    expect(got).toMatchObject({ event: 'received', id: offers[0], state: 'received' });
    expect(got.path.startsWith(join(work, 'in'))).toBe(true);
    expect(readFileSync(got.path, 'utf8')).toBe('from alice\n');

    expect(await attached(['files', 'decline', offers[1]!])).toMatchObject({
      code: 0,
      stdout: 'declined report.txt from alice\n',
    });
    await sameError(['files', 'accept', 'ffffffff'], 'NO_SUCH_TRANSFER');
  });
});

const id = (p: Obj): string => (p.transfer as { id: string }).id;
