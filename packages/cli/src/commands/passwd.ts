/**
 * `chat passwd`: change the passphrase of the private keys (PROTOCOL.md §13.1), add one to unencrypted keys, or
 * remove it with `--no-passphrase`. The current passphrase comes from CHAT_PASSPHRASE / --passphrase-file / a
 * prompt; the new one from CHAT_NEW_PASSPHRASE / --new-passphrase-file / a prompt asked twice. A wrong current
 * passphrase exits 7 and leaves the file untouched. The storage key of chat.db (§13.3) is sealed anew with the keys;
 * the database itself is not touched.
 */
import { ChatError } from '../engine/errors.js';
import { Profile } from '../engine/profile.js';
import { printJson, warn, type Io } from './io.js';
import { NEW_PASSPHRASE, readPassphrase, unlockingPassphrase } from './passphrase.js';

export interface PasswdArgs {
  noPassphrase?: boolean;
  json?: boolean;
}

export async function passwd(args: PasswdArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  // No re-wrap: the file is sealed again below in any case. The storage key stays (§13.3): only its seal changes, so
  // chat.db is not re-encrypted.
  const { identity, storageKey } = await profile.unlockKeys(await unlockingPassphrase(io, profile), { rewrap: false });
  let next: string | undefined;
  if (!args.noPassphrase) {
    next = await readPassphrase(io, NEW_PASSPHRASE, 'new passphrase', { confirm: true });
    if (next === undefined) {
      throw new ChatError(
        'USAGE',
        'no new passphrase: stdin is not a terminal and neither CHAT_NEW_PASSPHRASE nor --new-passphrase-file is set',
        {
          hint: 'set CHAT_NEW_PASSPHRASE or --new-passphrase-file <file>, or --no-passphrase to remove the passphrase',
        },
      );
    }
  }
  profile.saveIdentity(identity, { force: true, passphrase: next, storageKey });
  if (args.json) printJson(io, { home: profile.home, encrypted: next !== undefined });
  else
    io.stdout.write(
      next === undefined
        ? `removed the passphrase of the keys in ${profile.home}\n`
        : `changed the passphrase of the keys in ${profile.home}\n`,
    );
  if (next === undefined)
    warn(
      io,
      `the private keys in ${profile.identityPath} are now NOT encrypted, nor is the key of the message history in chat.db`,
    );
  return 0;
}
