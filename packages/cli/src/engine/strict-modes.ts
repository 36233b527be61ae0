/**
 * The profile's ownership and modes, checked the way OpenSSH's StrictModes checks ~/.ssh: a profile directory or
 * file that another local user owns, or that group or others can write, is refused. Such a user could plant a
 * `config.json` (a silent redirect to their relay and certificate pin) or a `chat.db` (contacts and keys of their
 * choosing). SECURITY.md, "Local users".
 */
import { statSync, type Stats } from 'node:fs';
import { ChatError } from './errors.js';

/**
 * Refuses `path` if it exists and is owned by someone other than `uid` (or root), or is writable by group or
 * others. A missing path is fine: chat creates it private (0700 / 0600). `uid` is injectable for tests; undefined
 * (a platform without uids) skips the ownership rule.
 * @throws {ChatError} PROFILE_UNSAFE, with a hint naming chmod (or what to do about the owner).
 * @example checkPrivatePath('/home/alice/.config/chat', process.getuid?.())
 */
export function checkPrivatePath(path: string, uid: number | undefined = process.getuid?.()): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ChatError('PROFILE_CORRUPT', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    throw new ChatError('PROFILE_UNSAFE', `${path} belongs to another user (uid ${st.uid}), not to you (uid ${uid})`, {
      hint: 'use a profile of your own (CHAT_HOME), or have its owner hand it over (chown)',
    });
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ChatError(
      'PROFILE_UNSAFE',
      `${path} is writable by group or others (mode ${mode}): another user could change what chat trusts`,
      {
        hint: `chmod go-w ${path}`,
      },
    );
  }
}
