/**
 * The man pages come from the binaries' --help (scripts/man.mjs): every command `chat --help` lists, and every
 * subcommand `chat-relay --help` names, has its section, and each section holds that command's own help text.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_JS, RELAY_JS, ROOT, runBin } from './run-bin.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chat-man-'));
  const r = await runBin(join(ROOT, 'scripts/man.mjs'), [dir]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The page's text for the section headed `.SS "<head>"`, roff escapes undone. */
function section(page: string, head: string): string | undefined {
  const escaped = head.replace(/-/g, '\\-');
  const start = page.indexOf(`.SS "${escaped}"\n`);
  if (start < 0) return undefined;
  const body = page.slice(start).split('\n.fi\n')[0] ?? '';
  return body.replace(/\\-/g, '-').replace(/\\e/g, '\\').replace(/\\&/g, '');
}

describe('chat.1', () => {
  it('has a section for every command chat --help lists, holding its --help', async () => {
    const page = readFileSync(join(dir, 'chat.1'), 'utf8');
    // "  chat send <username> [message..]   send a message; ..." -> the command and its usage, which is also the first
    // line of `chat send --help`.
    const commands = (await runBin(CHAT_JS, ['--help'])).stdout.split('Commands:\n')[1]?.split('\n\n')[0] ?? '';
    const listed = [...commands.matchAll(/^ {2}(chat ([a-z][a-z-]*)(?: [^ ]+)*)/gm)].map((m) => ({
      command: m[2] ?? '',
      usage: m[1] ?? '',
    }));
    expect(listed.map((l) => l.command)).toEqual(expect.arrayContaining(['send', 'recv', 'keygen', 'completion']));
    for (const { command, usage } of listed) expect(section(page, `chat ${command}`), command).toContain(`${usage}\n`);
    expect(page).toMatch(/^\.TH CHAT 1 /m);
  });
});

describe('chat-relay.1', () => {
  it('has the relay --help and a section for config, admin, status and migrate', async () => {
    const page = readFileSync(join(dir, 'chat-relay.1'), 'utf8');
    expect(page.replace(/\\-/g, '-')).toContain('-V, --version');
    for (const c of ['config', 'admin', 'status', 'migrate']) {
      const usage = (await runBin(RELAY_JS, [c, '--help'])).stdout.split('\n')[0] ?? '';
      expect(section(page, `chat-relay ${c}`), c).toContain(usage);
    }
  });
});
