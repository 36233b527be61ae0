/**
 * Operating a relay with the built binaries (README "Operating a relay"): `chat-relay config`, `chat-relay admin` on a
 * stopped relay's database and on a running relay through its control socket, `chat-relay status`, invite-only
 * registration with `chat login --invite`, and `chat admin` for admins named in the config.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chat, newUser, startChat } from '../e2e/harness.js';
import { relayBinary, runRelayBinary as runBinary } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { preparedKeys } from '../fixtures/profiles.js';

const t = tempDir('operator');
afterAll(() => t.cleanup());

/** newUser only needs the address. */

describe('chat-relay --help', () => {
  it.each([[[]], [['config']], [['admin']], [['status']]])('%j --help shows usage and examples', async (sub) => {
    const r = await runBinary([...sub, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: chat-relay/);
    expect(r.stdout.split('Examples:')[1] ?? '').toContain('chat-relay');
  });
});

describe('chat-relay config', () => {
  it('prints the effective configuration: flags over environment over relay.json over defaults', async () => {
    const data = join(t.dir, 'cfg');
    mkdirSync(data, { recursive: true });
    writeFileSync(
      join(data, 'relay.json'),
      JSON.stringify({
        admins: ['alice:3F2A 91BC 0D4E 7A11 C0DE 5EED 9B3A 44F0'],
        port: 9000,
        limits: { maxConnections: 50 },
      }),
    );
    const r = await runBinary(['config', '--data', data, '--port', '9100'], {
      CHAT_RELAY_PORT: '9050',
      CHAT_RELAY_MAX_CONNECTIONS: '60',
    });
    expect(r.code).toBe(0);
    const cfg = JSON.parse(r.stdout) as {
      port: number;
      admins: string[];
      dataDir: string;
      limits: { maxConnections: number; idleTimeoutMs: number };
    };
    expect(cfg).toMatchObject({ port: 9100, admins: ['alice:3F2A 91BC 0D4E 7A11 C0DE 5EED 9B3A 44F0'], dataDir: data });
    expect(cfg.limits).toMatchObject({ maxConnections: 60, idleTimeoutMs: 90_000 });
    const s = await runBinary(['config', '--sources', '--data', data], { CHAT_RELAY_MAX_CONNECTIONS: '60' });
    expect(s.stdout).toContain(`# config file: ${join(data, 'relay.json')}`);
    expect(s.stdout).toMatch(
      /^admins = \["alice:3F2A 91BC 0D4E 7A11 C0DE 5EED 9B3A 44F0"\] {2}\(file .*relay\.json\)$/m,
    );
    expect(s.stdout).toMatch(/^limits\.maxConnections = 60 {2}\(environment CHAT_RELAY_MAX_CONNECTIONS\)$/m);
    expect(s.stdout).toMatch(/^limits\.idleTimeoutMs = 90000 {2}\(default\)$/m);
  });

  it('refuses a bad setting with exit 2, for config and for running', async () => {
    for (const args of [['config'], []]) {
      const r = await runBinary([...args, '--data', join(t.dir, 'bad'), '--set', 'limits.maxConections=5']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^chat-relay: error: .*unknown setting "limits\.maxConections"/m);
    }
  });
});

describe('chat-relay admin and status', () => {
  const data = join(t.dir, 'ops');

  it('works on the database of a stopped relay; kick and shutdown need a running one', async () => {
    const relay = await relayBinary(data);
    await newUser(t.dir, 'bob', relay);
    await newUser(t.dir, 'mallory', relay);
    expect((await chat(['send', 'bob', 'hello bob'], { home: join(t.dir, 'mallory') })).code).toBe(0);
    relay.proc.kill('SIGTERM');
    expect(await relay.exit).toBe(0);

    expect(await runBinary(['status', '--data', data])).toMatchObject({
      code: 3,
      stdout: `chat-relay on ${data}: not running\n`,
    });
    const users = await runBinary(['admin', 'users', '--json', '--data', data]);
    expect(users.code).toBe(0);
    const list = JSON.parse(users.stdout) as {
      users: { username: string; online: boolean; depth: number; bytes: number }[];
    };
    expect(list.users.map((u) => [u.username, u.online, u.depth])).toEqual([
      ['bob', false, 1],
      ['mallory', false, 0],
    ]);
    expect(list.users[0]!.bytes).toBeGreaterThan(49);
    expect(users.stdout).not.toContain('hello bob');
    const table = await runBinary(['admin', 'users', '--data', data]);
    expect(table.stdout).toMatch(/^USER\s+ONLINE\s+BANNED\s+WAITING\s+BYTES\s+CREATED \(UTC\)$/m);
    expect(table.stdout).toMatch(/^bob\s+-\s+-\s+1\s+\d+\s+\d{4}-/m);

    expect((await runBinary(['admin', 'ban', 'mallory', '--reason', 'spam', '--data', data])).code).toBe(0);
    const stats = (await runBinary(['admin', 'stats', '--data', data])).stdout;
    expect(stats).toMatch(/^users\s+2$/m);
    // Stopped: the store's counts and "running no", not a just-started relay's uptime and connections (hunt2).
    expect(stats).toMatch(/^running\s+no$/m);
    expect(stats).not.toMatch(/^(uptimeMs|connections|online)\b/m);
    const statsJson = JSON.parse((await runBinary(['admin', 'stats', '--json', '--data', data])).stdout) as {
      stats: Record<string, unknown>;
    };
    expect(statsJson.stats).toMatchObject({ running: false, users: 2 });
    expect(statsJson.stats).not.toHaveProperty('uptimeMs');
    expect((await runBinary(['admin', 'invite', '--data', data])).stdout).toMatch(/^[0-9a-f]{40}\n$/);
    const kick = await runBinary(['admin', 'kick', 'bob', '--data', data]);
    expect(kick.code).toBe(3);
    expect(kick.stderr).toContain(`no relay is running on ${data}`);
    const unknown = await runBinary(['admin', 'unban', 'nobody', '--data', data]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^chat-relay: error: nobody is not banned \(UNKNOWN_USER\)$/m);
    expect((await runBinary(['admin', 'ban', '--data', data])).code).toBe(2);
    // Not a username at all: a usage error, not an unknown user (hunt2: exit 4).
    const invalid = await runBinary(['admin', 'unban', 'BOB', '--data', data]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^chat-relay: error: "BOB" is not a username$/m);
  });

  it('on a running relay: ban refuses logins, kick shows its reason to the client, status, shutdown exits 0', async () => {
    // An admin is a name bound to its key's fingerprint (PROTOCOL.md §14.1), as `chat whoami` prints it.
    const bobFp = (
      JSON.parse((await chat(['whoami', '--json'], { home: join(t.dir, 'bob') })).stdout) as { fingerprint: string }
    ).fingerprint;
    const relay = await relayBinary(data, { args: ['--admin', `bob:${bobFp}`] });
    const env = { CHAT_RELAY: `127.0.0.1:${relay.port}` }; // same relay id, new port
    const mallory = join(t.dir, 'mallory');
    const banned = await chat(['send', 'bob', 'let me in'], { home: mallory, env });
    expect(banned.code).toBe(6);
    expect(banned.stderr).toContain('BANNED');
    expect((await runBinary(['admin', 'unban', 'mallory', '--data', data])).code).toBe(0);
    expect((await chat(['send', 'bob', 'thanks'], { home: mallory, env })).code).toBe(0);

    const bob = join(t.dir, 'bob');
    const follower = startChat(['recv', '--follow'], { home: bob, env });
    await follower.waitFor(/mallory: thanks/);
    const status = await runBinary(['status', '--json', '--data', data]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, online: 1, users: 2 });
    const users = JSON.parse((await runBinary(['admin', 'users', '--json', '--data', data])).stdout) as {
      users: { username: string; online: boolean }[];
    };
    expect(users.users.find((u) => u.username === 'bob')?.online).toBe(true);

    expect((await runBinary(['admin', 'kick', 'bob', '--reason', 'maintenance at noon', '--data', data])).code).toBe(0);
    const done = await follower.exit;
    expect(done.code).toBe(6);
    expect(done.stderr).toMatch(/^chat: error: .*KICKED.*kicked by an admin: maintenance at noon/m);

    // chat admin: bob is an admin in this relay's config, mallory is not.
    const viaClient = await chat(['admin', 'users', '--json'], { home: bob, env });
    expect(viaClient.code).toBe(0);
    expect((JSON.parse(viaClient.stdout) as { users: unknown[] }).users).toHaveLength(2);
    const forbidden = await chat(['admin', 'users'], { home: mallory, env });
    expect(forbidden.code).toBe(6);
    expect(forbidden.stderr).toContain('FORBIDDEN');

    const second = await runBinary(['--port', '0', '--data', data]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('another relay is running on');

    const watcher = startChat(['recv', '--follow'], { home: mallory, env });
    // Shut down only once the watcher is logged in (the relay counts it online), however slow its start-up.
    for (const deadline = Date.now() + 60_000; ; ) {
      const now = JSON.parse((await runBinary(['status', '--json', '--data', data])).stdout) as { online: number };
      if (now.online === 1) break;
      if (Date.now() > deadline) throw new Error('the watcher never came online');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await runBinary(['admin', 'shutdown', '--data', data])).code).toBe(0);
    expect(await relay.exit).toBe(0);
    const w = await watcher.exit;
    expect(w.code).toBe(5);
    expect(w.stderr).toContain('SHUTTING_DOWN');
    expect((await runBinary(['status', '--data', data])).code).toBe(3);

    // Offline again: delete an account and its mailbox; the name is free afterwards.
    expect((await runBinary(['admin', 'delete-user', 'mallory', '--data', data])).code).toBe(0);
    const left = JSON.parse((await runBinary(['admin', 'users', '--json', '--data', data])).stdout) as {
      users: { username: string }[];
    };
    expect(left.users.map((u) => u.username)).toEqual(['bob']);
    expect((await runBinary(['admin', 'delete-user', 'mallory', '--data', data])).code).toBe(4);
  });
});

describe('edge cases of the data directory', () => {
  it('admin on a directory without a relay database fails and creates nothing', async () => {
    const missing = join(t.dir, 'no-such-relay');
    const r = await runBinary(['admin', 'users', '--data', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`chat-relay: error: no relay database in ${missing}`);
    expect(existsSync(missing)).toBe(false);
  });

  it('a data directory too deep for a Unix socket still serves, without the control socket', async () => {
    const deep = join(t.dir, 'd'.repeat(120));
    const relay = await relayBinary(deep);
    try {
      await newUser(t.dir, 'deep', relay);
      expect(relay.stderr()).toContain('"event":"control_socket_unavailable"');
    } finally {
      relay.proc.kill('SIGTERM');
      expect(await relay.exit).toBe(0);
    }
  });
});

describe('invite-only registration end to end', () => {
  it('chat login needs --invite with a code from chat-relay admin invite', async () => {
    const data = join(t.dir, 'invite');
    const relay = await relayBinary(data, { args: ['--registration', 'invite'] });
    try {
      const carol = join(t.dir, 'carol');
      preparedKeys(carol); // keys are not under test here: no keygen child, no scrypt
      const refused = await chat(['login', 'carol', '--relay', `127.0.0.1:${relay.port}`], { home: carol });
      expect(refused.code).toBe(6);
      expect(refused.stderr).toContain('INVITE_REQUIRED');
      expect(refused.stderr).toMatch(/^chat: hint: ask the relay operator for an invite code/m);
      const code = (await runBinary(['admin', 'invite', '--data', data])).stdout.trim();
      const ok = await chat(['login', 'carol', '--relay', `127.0.0.1:${relay.port}`, '--invite', code], {
        home: carol,
      });
      expect(ok).toMatchObject({ code: 0 });
      expect(ok.stdout).toContain('registered carol');
      expect(relay.stderr()).not.toContain(code); // invite codes never reach the log
    } finally {
      relay.proc.kill('SIGTERM');
      await relay.exit;
    }
  });
});
