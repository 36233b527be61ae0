/**
 * `chat keygen`: a new identity (Ed25519 + X25519, §1) in the profile, mode 0600, sealed with a passphrase
 * (PROTOCOL.md §13.1) from CHAT_PASSPHRASE, --passphrase-file, or a hidden prompt asked twice. With no terminal and
 * no passphrase source it is a usage error (exit 2) rather than a silent unencrypted key; `--no-passphrase` stores
 * the keys unencrypted, with a warning. No network, no SQLite (unless --force replaces keys that have a history: that
 * history is kept when its key can be had, without the old identity's v2 sessions and prekeys).
 */
import { fingerprint, generateIdentity } from '@chat/crypto';
import { ChatError } from '../engine/errors.js';
import { Profile } from '../engine/profile.js';
import { printJson, warn, type Io } from './io.js';
import { KEY_PASSPHRASE, readPassphrase } from './passphrase.js';

export interface KeygenArgs {
  force?: boolean;
  json?: boolean;
  /** Store the keys unencrypted. */
  noPassphrase?: boolean;
}

export async function keygen(args: KeygenArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  if (!args.force) profile.assertNoIdentity();
  const replacing = args.force === true && profile.hasIdentity();
  let passphrase: string | undefined;
  if (!args.noPassphrase) {
    passphrase = await readPassphrase(io, KEY_PASSPHRASE, 'new passphrase for your keys', { confirm: true });
    if (passphrase === undefined) {
      throw new ChatError(
        'USAGE',
        'no passphrase for the new keys: stdin is not a terminal and neither CHAT_PASSPHRASE nor --passphrase-file is set',
        {
          hint: 'set CHAT_PASSPHRASE or --passphrase-file <file>, run in a terminal to be asked, or --no-passphrase to store the keys unencrypted',
        },
      );
    }
  }
  const identity = generateIdentity();
  // Replacing keys: the history keeps its storage key when it can (open-store.ts), else it is set aside.
  const storageKey = replacing ? await (await import('./open-store.js')).storageKeyForNewKeys(io, profile) : undefined;
  profile.saveIdentity(identity, { force: args.force === true, passphrase, ...(storageKey ? { storageKey } : {}) });
  if (storageKey) {
    // The history is kept: the old identity's sessions and prekeys in it are not (store/v2.ts).
    const { Store } = await import('../engine/store/store.js');
    const store = Store.open(profile.dbPath, storageKey);
    try {
      store.v2.forgetReplacedIdentity();
    } finally {
      store.close();
    }
  }
  const fp = fingerprint(identity.identity.publicKey);
  if (args.json) {
    printJson(io, { fingerprint: fp, home: profile.home, encrypted: passphrase !== undefined });
  } else {
    io.stdout.write(`created a new identity in ${profile.home}\nfingerprint: ${fp}\n`);
  }
  if (passphrase === undefined) {
    warn(
      io,
      `--no-passphrase: the private keys in ${profile.identityPath} are NOT encrypted, and neither is the message history: its key is stored beside them; anyone who can read the profile can be you and read your history (chat passwd adds a passphrase)`,
    );
  }
  if (replacing) {
    warn(
      io,
      'replaced the previous identity; a relay refuses the new key for a username the old one registered (KEY_MISMATCH)',
    );
  }
  if (!args.json && !profile.loadConfig())
    io.stdout.write("next: chat login <name> --relay <the relay's address, chat://...@host:port, from its operator>\n");
  return 0;
}
