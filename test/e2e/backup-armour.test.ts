/**
 * The backup armour parser (issue 14, finding 11; PROTOCOL.md §13.2) through the built `chat key import`: crafted
 * whitespace that made the old regular expression backtrack cubically, an oversized file, and truncated backups,
 * which are damaged files and must not be reported as a wrong passphrase.
 *
 * No timing is asserted. The crafted input is 40 times the 5 KB that took the old parser 85 s (so about 64,000
 * times longer, days): the old binary never answers and the test fails by its timeout; a linear parser answers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat } from './harness.js';
import { tempDir } from '../fixtures/temp.js';

const BEGIN = '-----BEGIN CHAT BACKUP-----';
const END = '-----END CHAT BACKUP-----';
const env = { CHAT_BACKUP_PASSPHRASE: 'backup secret' };

describe('chat key import: the armour', () => {
  let t: ReturnType<typeof tempDir>;
  let backup: string;
  const fresh = (): string => join(t.dir, `fresh-${Math.random().toString(36).slice(2, 8)}`);

  beforeAll(async () => {
    t = tempDir('armour');
    const home = join(t.dir, 'alice');
    // The profile's own keys are not under test: unencrypted (no scrypt for keygen and export's unlock); the backup
    // is sealed under its own passphrase all the same.
    expect((await chat(['keygen', '--no-passphrase'], { home })).code).toBe(0);
    const file = join(t.dir, 'backup.txt');
    const e = await chat(['key', 'export', '--out', file], { home, env });
    expect(e).toMatchObject({ code: 0 });
    backup = readFileSync(file, 'utf8');
  });
  afterAll(() => t.cleanup());

  it('crafted whitespace (200 KB) is parsed in one pass and refused as damaged', async () => {
    for (const text of [`${BEGIN}\n${' '.repeat(200_000)}x`, `${BEGIN}${'\t \n'.repeat(70_000)}=${END}x`]) {
      const home = fresh();
      const r = await chat(['key', 'import'], { home, env, stdin: text });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^chat: error: the backup is damaged/m);
      expect(existsSync(join(home, 'identity.json'))).toBe(false);
    }
  });

  it('a file over the size limit is refused before it is parsed', async () => {
    const big = join(t.dir, 'big.txt');
    writeFileSync(big, `${BEGIN}\n${'A'.repeat(9 * 1024 * 1024)}\n${END}\n`);
    const r = await chat(['key', 'import', big], { home: fresh(), env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chat: error: not a chat backup: larger than/m);
  });

  it('a backup file that cannot be read is FILE_UNREADABLE, exit 1 (PROTOCOL.md §12: a local file), not a usage error', async () => {
    const missing = join(t.dir, 'no-such-backup.txt');
    const r = await chat(['key', 'import', missing], { home: fresh(), env });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`chat: error: cannot read ${missing}: ENOENT (FILE_UNREADABLE)\n`);
  });

  it('an endless file whose size stat cannot tell (/dev/zero, a FIFO) is read only up to the limit', async () => {
    const r = await chat(['key', 'import', '/dev/zero'], { home: fresh(), env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chat: error: not a chat backup: larger than/m);
  });

  it('a truncated backup is damaged, not a wrong passphrase (exit 2, not 7)', async () => {
    const lines = backup.split('\n');
    const endAt = lines.indexOf(END);
    const variants = {
      'cut in the middle': backup.slice(0, Math.floor(backup.length / 2)),
      'a line of base64 missing': [...lines.slice(0, 2), ...lines.slice(3)].join('\n'),
      'the last lines before END missing': [...lines.slice(0, endAt - 2), ...lines.slice(endAt)].join('\n'),
    };
    for (const [what, text] of Object.entries(variants)) {
      const home = fresh();
      const r = await chat(['key', 'import'], { home, env, stdin: text });
      expect(r.code, what).toBe(2);
      expect(r.stderr, what).toMatch(/^chat: error: the backup is damaged/m);
      expect(r.stderr, what).toMatch(/^chat: hint: /m);
      expect(existsSync(join(home, 'identity.json')), what).toBe(false);
    }
    // A backup from before the check line (§13.2) still imports.
    expect(lines[1]).toMatch(/^=[A-Za-z0-9+/]{8}$/);
    const old = await chat(['key', 'import', '--no-passphrase'], {
      home: fresh(),
      env,
      stdin: [lines[0], ...lines.slice(2)].join('\n'),
    });
    expect(old).toMatchObject({ code: 0 });
    // The untouched backup still imports, with CRLF line ends too.
    const r = await chat(['key', 'import', '--no-passphrase'], {
      home: fresh(),
      env,
      stdin: backup.replace(/\n/g, '\r\n'),
    });
    expect(r).toMatchObject({ code: 0 });
  });
});
