/**
 * `chat key export` / `chat key import` (PROTOCOL.md §13.2): an encrypted, armoured backup of identity, relay
 * settings, contacts, blocked users, nicknames and disappearing-message timers. The backup passphrase comes from CHAT_BACKUP_PASSPHRASE / --backup-passphrase-file / a
 * prompt; import stores the keys under the profile passphrase (CHAT_PASSPHRASE / --passphrase-file / prompt, or
 * --no-passphrase) and refuses to replace existing keys without --force.
 */
import { closeSync, existsSync, openSync, readSync, writeFileSync } from 'node:fs';
import { fingerprint, parseGroupRecord, toHex } from '@chat/crypto';
import { MAX_BACKUP_CHARS, exportBackup, importBackup, type BackupContents } from '../engine/backup.js';
import { supersedes } from '../engine/expire/timers.js';
import { ChatError } from '../engine/errors.js';
import { Profile } from '../engine/profile.js';
import { newStorageKey } from '../engine/storage-key.js';
import { hint, printJson, warn, type Io } from './io.js';
import { storageKeyForNewKeys } from './open-store.js';
import { BACKUP_PASSPHRASE, KEY_PASSPHRASE, readPassphrase, unlockingPassphrase } from './passphrase.js';

export interface KeyExportArgs {
  out?: string | undefined;
}

export async function keyExport(args: KeyExportArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  const { identity, storageKey } = await profile.unlockKeys(await unlockingPassphrase(io, profile), {
    warn: (m) => warn(io, m),
  });
  const passphrase = await backupPassphrase(io, true);
  let contacts: import('../engine/store/store.js').Contact[] = [];
  let seenIds: string[] = [];
  let local: Pick<BackupContents, 'blocked' | 'nicknames' | 'timers' | 'groups' | 'rooms'> = {
    blocked: [],
    nicknames: [],
    timers: [],
  };
  if (existsSync(profile.dbPath)) {
    const { Store } = await import('../engine/store/store.js');
    const store = Store.open(profile.dbPath, storageKey);
    try {
      contacts = store.contacts.list();
      seenIds = store.seen.forBackup(Date.now());
      local = {
        blocked: store.blocked.list(),
        nicknames: [...store.nicknames.all()].map(([username, nickname]) => ({ username, nickname })),
        timers: store.timers.all().map(({ conv, seconds, setBy, setTs }) => ({ conv, seconds, setBy, setTs })),
        groups: store.groups.forBackup(),
        rooms: store.groups.joinedRooms(),
      };
    } finally {
      store.close();
    }
  }
  const text = exportBackup({ identity, config: profile.loadConfig(), contacts, seenIds, ...local }, passphrase);
  if (args.out) {
    writeFileSync(args.out, text, { mode: 0o600, flag: 'wx' });
    io.stderr.write(
      `chat: wrote an encrypted backup of ${fingerprint(identity.identity.publicKey)} and ${contacts.length} contact(s) to ${args.out}\n`,
    );
  } else {
    io.stdout.write(text);
  }
  return 0;
}

export interface KeyImportArgs {
  file?: string | undefined;
  force?: boolean;
  noPassphrase?: boolean;
  json?: boolean;
}

export async function keyImport(args: KeyImportArgs, io: Io): Promise<number> {
  const profile = Profile.fromEnv(io.env);
  if (!args.force && profile.hasIdentity())
    throw new ChatError('IDENTITY_EXISTS', `an identity already exists in ${profile.home}`, {
      hint: "restore into an empty profile (CHAT_HOME=<new directory> chat key import …), or add --force to replace these keys with the backup's",
    });
  const text = args.file === undefined || args.file === '-' ? await readAll(io) : readFile(args.file);
  // Decrypt and check everything first: a wrong passphrase or a damaged file writes nothing.
  const contents = await importBackup(text, await backupPassphrase(io, false));
  let passphrase: string | undefined;
  if (!args.noPassphrase) {
    passphrase = await readPassphrase(io, KEY_PASSPHRASE, 'new passphrase for the restored keys', { confirm: true });
    if (passphrase === undefined) {
      throw new ChatError(
        'USAGE',
        'no passphrase for the restored keys: set CHAT_PASSPHRASE or --passphrase-file, or --no-passphrase',
      );
    }
  }
  // A backup holds no history, so no storage key either (§13.3): the restored profile's history starts under a new one,
  // unless --force replaces keys whose history can keep its key (open-store.ts; else that history is set aside).
  const kept = args.force ? await storageKeyForNewKeys(io, profile) : undefined;
  const storageKey = kept ?? newStorageKey();
  profile.saveIdentity(contents.identity, { force: args.force === true, passphrase, storageKey });
  if (contents.config) profile.saveConfig(contents.config);
  const { Store } = await import('../engine/store/store.js');
  const store = Store.open(profile.dbPath, storageKey);
  try {
    store.transaction(() => {
      // A kept history (--force): the sessions and prekeys in it were the replaced keys' (store/v2.ts). Also when the
      // backup holds the same identity: a session that goes on after a restore is recovered (§24.7), never reused.
      if (kept) store.v2.forgetReplacedIdentity();
      for (const c of contents.contacts) store.contacts.import(c);
      const now = Date.now();
      store.seen.add(contents.seenIds, now);
      // What a kept store (--force) queued for a blocked user is held, as for any block.
      for (const b of contents.blocked) store.blocked.block(b.username, b.blockedAt);
      for (const n of contents.nicknames) store.nicknames.set(n.username, n.nickname, now);
      // A timer in the store may be newer (an import with --force over a profile in use): the §17.5 rule decides.
      for (const t of contents.timers)
        if (supersedes(t, store.timers.get(t.conv))) store.timers.set({ ...t, setAt: now });
      // A group's state only moves forward (§15.4): a newer one already here (import --force) is kept.
      for (const g of contents.groups ?? []) {
        const record = parseGroupRecord(g.record);
        const held = store.groups.get(toHex(record.gid));
        if (!held || held.record.version < record.version) store.groups.put(record, g.record, g.member, now);
      }
      for (const r of contents.rooms ?? []) store.groups.joinRoom(r, now);
    });
  } finally {
    store.close();
  }
  const fp = fingerprint(contents.identity.identity.publicKey);
  if (args.json)
    printJson(io, {
      fingerprint: fp,
      username: contents.config?.username ?? null,
      contacts: contents.contacts.length,
      blocked: contents.blocked.length,
      nicknames: contents.nicknames.length,
      timers: contents.timers.length,
      groups: contents.groups?.length ?? 0,
      rooms: contents.rooms?.length ?? 0,
      home: profile.home,
    });
  else {
    const more = [
      [contents.groups?.length ?? 0, 'group(s)'],
      [contents.rooms?.length ?? 0, 'room(s)'],
      [contents.blocked.length, 'blocked user(s)'],
      [contents.nicknames.length, 'nickname(s)'],
      [contents.timers.length, 'timer(s)'],
    ]
      .filter(([n]) => n !== 0)
      .map(([n, what]) => `${n} ${what}`);
    io.stdout.write(
      `restored ${contents.config?.username ?? 'the identity'} (${fp}) and ${contents.contacts.length} contact(s)${more.length > 0 ? ` (with ${more.join(', ')})` : ''} into ${profile.home}\n`,
    );
  }
  // The next step: a backup holds no history, and what waits on the relay is fetched by a receive.
  hint(
    io,
    contents.config
      ? 'chat recv fetches what waits on the relay (message history is not part of a backup)'
      : "chat login <name> --relay <the relay's chat:// address> joins a relay",
  );
  if (passphrase === undefined)
    warn(io, `--no-passphrase: the private keys in ${profile.identityPath} are NOT encrypted`);
  return 0;
}

async function backupPassphrase(io: Io, confirm: boolean): Promise<string> {
  const p = await readPassphrase(io, BACKUP_PASSPHRASE, 'passphrase for the backup', { confirm });
  if (p === undefined) {
    throw new ChatError(
      'USAGE',
      'no backup passphrase: stdin is not a terminal and neither CHAT_BACKUP_PASSPHRASE nor --backup-passphrase-file is set',
    );
  }
  return p;
}

/**
 * Reads at most MAX_BACKUP_CHARS + 1 bytes (the armour is ASCII), in chunks, so a FIFO or a device (whose size stat
 * cannot tell) costs no more memory than a regular file; importBackup then refuses a text past the limit (BAD_BACKUP).
 */
function readFile(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(MAX_BACKUP_CHARS + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    return buf.subarray(0, n).toString('utf8');
  } catch (err) {
    // A local file that is missing or unreadable: exit 1 (PROTOCOL.md §12), as `chat send-file` says it (hunt1).
    throw new ChatError('FILE_UNREADABLE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function readAll(io: Io): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.length > MAX_BACKUP_CHARS) break;
  }
  return text;
}
