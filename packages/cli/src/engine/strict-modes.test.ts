/** StrictModes for the profile (SECURITY.md, "Local users"): modes on real files, ownership with an injected uid. */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failure } from '../../test/helpers.js';
import { Profile } from './profile.js';
import { checkPrivatePath } from './strict-modes.js';

const dir = mkdtempSync(join(tmpdir(), 'strict-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const me = process.getuid?.();

const check = async (path: string, uid = me) => failure((async () => checkPrivatePath(path, uid))());

describe('checkPrivatePath', () => {
  it('accepts a missing path, a 0700 directory and a 0600 or 0644 file', () => {
    const d = join(dir, 'ok');
    mkdirSync(d, { mode: 0o700 });
    writeFileSync(join(d, 'a'), '', { mode: 0o600 });
    writeFileSync(join(d, 'b'), '');
    chmodSync(join(d, 'b'), 0o644);
    for (const p of [join(d, 'missing'), d, join(d, 'a'), join(d, 'b')])
      expect(() => checkPrivatePath(p, me)).not.toThrow();
  });

  it.each([0o775, 0o757, 0o777, 0o720, 0o702])('refuses a directory of mode %o, naming chmod', async (mode) => {
    const d = join(dir, `d${mode.toString(8)}`);
    mkdirSync(d);
    chmodSync(d, mode);
    const err = await check(d);
    expect(err.code).toBe('PROFILE_UNSAFE');
    expect(err.message).toContain('writable by group or others');
    expect(err.hint).toBe(`chmod go-w ${d}`);
  });

  it.each([0o660, 0o606, 0o666, 0o620])('refuses a file of mode %o', async (mode) => {
    const f = join(dir, `f${mode.toString(8)}`);
    writeFileSync(f, '');
    chmodSync(f, mode);
    expect((await check(f)).code).toBe('PROFILE_UNSAFE');
  });

  it('refuses a path another user owns (not root), whatever its mode', async () => {
    const f = join(dir, 'theirs');
    writeFileSync(f, '', { mode: 0o600 });
    // As root (CI), give it to uid 1234 and check as uid 5678; as anyone else, check as a uid that is not ours.
    let as: number;
    if (me === 0) {
      chownSync(f, 1234, 1234);
      as = 5678;
    } else as = (me ?? 0) + 1;
    const err = await check(f, as);
    expect(err.code).toBe('PROFILE_UNSAFE');
    expect(err.message).toMatch(/belongs to another user \(uid \d+\), not to you/);
    expect(err.hint).toContain('chown');
  });

  it('Profile.fromEnv checks the directory and identity.json, config.json and chat.db', async () => {
    for (const f of ['identity.json', 'config.json', 'chat.db']) {
      const home = join(dir, `home-${f}`);
      mkdirSync(home, { mode: 0o700 });
      writeFileSync(join(home, f), '{}', { mode: 0o600 });
      expect(() => Profile.fromEnv({ CHAT_HOME: home })).not.toThrow();
      chmodSync(join(home, f), 0o666);
      expect((await failure((async () => Profile.fromEnv({ CHAT_HOME: home }))())).hint).toBe(
        `chmod go-w ${join(home, f)}`,
      );
    }
  });
});
