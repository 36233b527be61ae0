/**
 * Where `chat files accept` writes (issue 14, findings 9 and 10; PROTOCOL.md §16.3): the temp file in a shared
 * downloads directory is never opened through a symlink another local user planted, and long names (in UTF-8
 * bytes, e.g. CJK) download under a name the file system accepts. And what `chat send-file` refuses to open.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliceAndBob, chat, jsonLines } from './harness.js';
import type { TestRelay as Relay } from '../fixtures/relay.js';
import type { tempDir } from '../fixtures/temp.js';

let t: ReturnType<typeof tempDir>;
let relay: Relay;
let alice: string;
let bob: string;

beforeAll(async () => {
  ({ t, relay, alice, bob } = await aliceAndBob('downloads'));
});
afterAll(async () => {
  await relay.stop();
  t.cleanup();
});

/** alice offers `name` (content `data`) to bob; returns the full blob id bob sees. */
async function offer(name: string, data: string): Promise<string> {
  const src = join(t.dir, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, name), data);
  const s = await chat(['send-file', 'bob', join(src, name), '--json'], { home: alice });
  expect(s.stderr).toBe('');
  const id = jsonLines<{ event: string; id: string }>(s.stdout).at(-1)!.id;
  expect((await chat(['recv'], { home: bob })).code).toBe(0);
  return id;
}

describe('chat send-file: what is not a regular file', () => {
  it('a FIFO without a writer is refused at once (exit 1), not waited on for ever (hunt1)', async () => {
    const fifo = join(t.dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const r = await chat(['send-file', 'bob', fifo], { home: alice });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`chat: error: ${fifo} is not a regular file (FILE_UNREADABLE)\n`);
  });
});

describe('chat files accept: the temp file', () => {
  it('a symlink planted at the temp name is refused, and its target is left alone', async () => {
    const dl = join(t.dir, 'shared');
    mkdirSync(dl, { recursive: true });
    const victim = join(t.dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const id = await offer('notes.txt', 'attacker content\n');
    // Another local user plants the temp name (both of its parts come from the sender), pointing at a file bob owns
    // and at a file that does not exist yet.
    symlinkSync(victim, join(dl, `.notes.txt.${id}.part`));
    const r = await chat(['files', 'accept', id.slice(0, 8), '--dir', dl], { home: bob });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^chat: error: .*notes\.txt.*not a regular file of yours/m);
    expect(r.stderr).toMatch(/^chat: hint: /m);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(dl, `.notes.txt.${id}.part`)).isSymbolicLink()).toBe(true);
    expect(existsSync(join(dl, 'notes.txt'))).toBe(false);

    const id2 = await offer('other.txt', 'attacker content\n');
    const created = join(t.dir, 'created-by-attacker.txt');
    symlinkSync(created, join(dl, `.other.txt.${id2}.part`));
    const r2 = await chat(['files', 'accept', id2.slice(0, 8), '--dir', dl], { home: bob });
    expect(r2.code).not.toBe(0);
    expect(existsSync(created)).toBe(false);
  });

  it('names of 217 to 255 bytes (75 and 83 CJK characters) download; the temp and final names fit NAME_MAX', async () => {
    const dl = join(t.dir, 'cjk');
    for (const n of [75, 83]) {
      const name = `${'文'.repeat(n)}.txt`;
      const id = await offer(name, `${n} characters\n`);
      const r = await chat(['files', 'accept', id.slice(0, 8), '--dir', dl, '--json'], { home: bob });
      expect(r.stderr, `${n}`).toBe('');
      expect(r.code).toBe(0);
      const path = jsonLines<{ path?: string }>(r.stdout).at(-1)!.path!;
      expect(readFileSync(path, 'utf8')).toBe(`${n} characters\n`);
      const base = path.slice(dl.length + 1);
      expect(Buffer.byteLength(base)).toBeLessThanOrEqual(255);
      expect(base.endsWith('.txt')).toBe(true);
    }
    expect(readdirSync(dl).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});
