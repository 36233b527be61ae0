/**
 * The profile directory (`CHAT_HOME`, else `$XDG_CONFIG_HOME/chat`, else `~/.config/chat`): the identity keys,
 * config.json (username, relay address, pinned relay id) and the history database.
 */
import type { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  constantTimeEqual,
  fromBase64,
  identityFromSecrets,
  isRelayCertFingerprint,
  isValidUsername,
  toBase64,
  type Identity,
} from '@chat/crypto';
import { checkPrivatePath } from './strict-modes.js';
import { ChatError } from './errors.js';
import { writePrivateFileAtomic } from './files.js';
import {
  decryptKeys,
  encryptIdentity,
  encryptIdentityAsync,
  parseEncryptedIdentity,
  type EncryptedIdentityFile,
} from './keyfile.js';
import { newStorageKey, parsePlainStorageKey } from './storage-key.js';

import { IDENTITY_FILE, profileHome, type Env } from './home.js';
import { needsRewrap, rewrapIdentity, sameSalt, type Warn } from './rewrap.js';

export { IDENTITY_FILE, profileHome, type Env };
export const CONFIG_FILE = 'config.json';
export const DB_FILE = 'chat.db';

/**
 * On-disk identity, version 1. `format: "plain"` stores the secrets in base64 (`chat keygen --no-passphrase`);
 * `format: "passphrase"` seals them with scrypt + AES-256-GCM (keyfile.ts, PROTOCOL.md §13.1). Any other format is
 * refused, not guessed at.
 */
export interface IdentityFileV1 {
  version: 1;
  format: 'plain';
  created: string;
  identity: { publicKey: string; secretKey: string };
  encryption: { publicKey: string; secretKey: string };
  /** The storage key of chat.db in base64 (§13.3), unprotected like the rest of this file; absent before it existed. */
  storageKey?: string;
}

export type IdentityFile = IdentityFileV1 | EncryptedIdentityFile;
export type IdentityFormat = IdentityFile['format'];

/** config.json: who we are on which relay, and that relay's id as pinned at `chat login` (§8). */
export interface ChatConfig {
  version: 1;
  username: string;
  /** `host:port` */
  relay: string;
  /** Lower-case hex of the 32-byte relay id from the challenge at login. */
  relayId: string;
  /** The relay's TLS certificate key fingerprint (§5.1), pinned at login; absent with `insecure`. */
  relayCert?: string;
  /** Plaintext TCP (`chat login --insecure`). */
  insecure?: boolean;
}

export interface UnlockOptions {
  /** Where a failed re-wrap is reported; default stderr as `chat: warning: …`. */
  warn?: Warn;
  /** false: leave a weakly sealed file as it is. */
  rewrap?: boolean;
}

/** What an unlock yields: the identity keys and the storage key of chat.db (§13.3). */
export interface UnlockedKeys {
  identity: Identity;
  storageKey: Buffer;
}

const stderrWarn: Warn = (message) => process.stderr.write(`chat: warning: ${message}\n`);

export class Profile {
  readonly identityPath: string;
  readonly configPath: string;
  readonly dbPath: string;

  constructor(readonly home: string) {
    this.identityPath = join(home, IDENTITY_FILE);
    this.configPath = join(home, CONFIG_FILE);
    this.dbPath = join(home, DB_FILE);
  }

  /** The profile of the environment, its directory and files checked as StrictModes does (strict-modes.ts). */
  static fromEnv(env: Env): Profile {
    const profile = new Profile(profileHome(env));
    profile.checkModes();
    return profile;
  }

  /**
   * Refuses a profile that another local user owns or can write to (SECURITY.md, "Local users").
   * @throws {ChatError} PROFILE_UNSAFE.
   */
  checkModes(uid?: number): void {
    for (const path of [this.home, this.identityPath, this.configPath, this.dbPath])
      checkPrivatePath(path, uid ?? process.getuid?.());
  }

  /**
   * The identity of an unencrypted profile.
   * @throws {ChatError} `NO_IDENTITY` (hint: chat keygen), `PROFILE_CORRUPT`, `PASSPHRASE_REQUIRED` if encrypted.
   */
  loadIdentity(): Identity {
    return parseIdentityFile(this.readIdentityJson(), this.identityPath);
  }

  /**
   * The identity, decrypting it with `passphrase` when it is passphrase-protected (unlockKeys).
   * @throws {ChatError} `NO_IDENTITY`, `PROFILE_CORRUPT`, `PASSPHRASE_REQUIRED` (none given), `BAD_PASSPHRASE` (exit 7).
   */
  async unlockIdentity(passphrase: string | undefined, options: UnlockOptions = {}): Promise<Identity> {
    const keys = await this.unlockKeys(passphrase, options);
    keys.storageKey.fill(0);
    return keys.identity;
  }

  /**
   * The identity and the storage key of chat.db, decrypting them with `passphrase` when the file is
   * passphrase-protected (scrypt on the thread pool). A file without a storage key (written before §13.3) gets one
   * now, written atomically before anything is encrypted with it; a file sealed with weaker scrypt parameters than
   * today's is re-wrapped once unlocked (rewrap.ts, §13.1), unless `rewrap: false` (`chat passwd`, which rewrites it
   * anyway); a failed re-wrap only warns.
   * @throws {ChatError} `NO_IDENTITY`, `PROFILE_CORRUPT`, `PASSPHRASE_REQUIRED` (none given), `BAD_PASSPHRASE` (exit 7).
   */
  async unlockKeys(passphrase: string | undefined, options: UnlockOptions = {}): Promise<UnlockedKeys> {
    const raw = this.readIdentityJson();
    if ((raw as { format?: unknown }).format !== 'passphrase') return this.plainKeys(raw);
    const o = checkVersion(raw, this.identityPath);
    const parsed = parseEncryptedIdentity(o, this.identityPath);
    if (passphrase === undefined) throw passphraseRequired(this.identityPath);
    const { identity, storageKey } = await decryptKeys(parsed, passphrase, this.identityPath);
    const created = typeof o.created === 'string' ? o.created : new Date().toISOString();
    if (storageKey === undefined) {
      // Sealed anew (today's scrypt parameters, so this is also the re-wrap) with a fresh storage key. Another process
      // may have done the same meanwhile: then its key is the one, read back with a second unlock.
      const fresh = newStorageKey();
      const file = await encryptIdentityAsync(identity, passphrase, created, fresh);
      if (!sameSalt(this.identityPath, parsed.salt)) return this.unlockKeys(passphrase, options);
      this.writeIdentityFile(file);
      return { identity, storageKey: fresh };
    }
    if (options.rewrap !== false && needsRewrap(parsed)) {
      const warn = options.warn ?? stderrWarn;
      await rewrapIdentity(this.identityPath, parsed, identity, storageKey, passphrase, created, warn);
    }
    return { identity, storageKey };
  }

  /** A `plain` file's keys; one from before §13.3 gets its storage key now. */
  private plainKeys(raw: unknown): UnlockedKeys {
    const identity = parseIdentityFile(raw, this.identityPath);
    const o = raw as Record<string, unknown>;
    const storageKey = parsePlainStorageKey(o.storageKey, this.identityPath);
    if (storageKey !== undefined) return { identity, storageKey };
    const fresh = newStorageKey();
    this.writeIdentityFile({ ...o, storageKey: toBase64(fresh) });
    return { identity, storageKey: fresh };
  }

  /** @throws {ChatError} PROFILE_CORRUPT when identity.json cannot be written (nothing was encrypted yet). */
  private writeIdentityFile(file: object): void {
    try {
      writePrivateFileAtomic(this.identityPath, `${JSON.stringify(file, null, 2)}\n`);
    } catch (err) {
      if (err instanceof ChatError) throw err; // DIRECTORY_NOT_CREATED names its directory and reason itself
      throw new ChatError(
        'PROFILE_CORRUPT',
        `cannot add the storage key of the history to ${this.identityPath}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        { cause: err, hint: 'make the profile directory writable; the history stays as it was until then' },
      );
    }
  }

  /** `plain` or `passphrase`, or undefined without an identity. @throws {ChatError} PROFILE_CORRUPT */
  identityFormat(): IdentityFormat | undefined {
    if (!this.hasIdentity()) return undefined;
    const format = checkVersion(this.readIdentityJson(), this.identityPath).format;
    if (format === 'plain' || format === 'passphrase') return format;
    throw new ChatError(
      'PROFILE_CORRUPT',
      `${this.identityPath}: identity format ${JSON.stringify(format)} is not supported by this version of chat`,
    );
  }

  /** The public identity key without unlocking anything (for whoami). @throws {ChatError} */
  loadIdentityPublicKey(): Uint8Array {
    const o = checkVersion(this.readIdentityJson(), this.identityPath);
    if (o.format === 'passphrase') return parseEncryptedIdentity(o, this.identityPath).identityPk;
    return parseIdentityFile(o, this.identityPath).identity.publicKey;
  }

  private readIdentityJson(): unknown {
    return this.readJson(
      this.identityPath,
      () => new ChatError('NO_IDENTITY', `no identity in ${this.home}`, { hint: 'run chat keygen' }),
    );
  }

  /** @throws {ChatError} `IDENTITY_EXISTS` if the profile already has keys. */
  assertNoIdentity(): void {
    if (this.hasIdentity()) {
      throw new ChatError('IDENTITY_EXISTS', `an identity already exists in ${this.home}`, {
        hint: 'use chat keygen --force to replace it (the old keys are lost, and relays will refuse the new key for your old username)',
      });
    }
  }

  hasIdentity(): boolean {
    return readOptional(this.identityPath) !== undefined;
  }

  /**
   * Writes the identity file (0600), sealed with `passphrase` when given (scrypt runs synchronously here).
   * @throws {ChatError} `IDENTITY_EXISTS` unless `force`.
   */
  saveIdentity(
    identity: Identity,
    {
      force = false,
      passphrase,
      storageKey = newStorageKey(),
    }: { force?: boolean; passphrase?: string | undefined; storageKey?: Uint8Array } = {},
  ): void {
    if (!force) this.assertNoIdentity();
    const created = new Date().toISOString();
    if (passphrase !== undefined) {
      writePrivateFileAtomic(
        this.identityPath,
        `${JSON.stringify(encryptIdentity(identity, passphrase, created, storageKey), null, 2)}\n`,
      );
      return;
    }
    const file: IdentityFileV1 = {
      version: 1,
      format: 'plain',
      created,
      identity: { publicKey: toBase64(identity.identity.publicKey), secretKey: toBase64(identity.identity.secretKey) },
      encryption: {
        publicKey: toBase64(identity.encryption.publicKey),
        secretKey: toBase64(identity.encryption.secretKey),
      },
      storageKey: toBase64(storageKey),
    };
    writePrivateFileAtomic(this.identityPath, `${JSON.stringify(file, null, 2)}\n`);
  }

  /** The config, or undefined before the first `chat login`. @throws {ChatError} `PROFILE_CORRUPT`. */
  loadConfig(): ChatConfig | undefined {
    const text = readOptional(this.configPath);
    if (text === undefined) return undefined;
    return parseConfig(parseJson(text, this.configPath), this.configPath);
  }

  /** @throws {ChatError} `NOT_LOGGED_IN` (hint: chat login) or `PROFILE_CORRUPT`. */
  requireConfig(): ChatConfig {
    const cfg = this.loadConfig();
    if (!cfg)
      throw new ChatError('NOT_LOGGED_IN', 'not logged in', { hint: 'run chat login <name> --relay host:port' });
    return cfg;
  }

  saveConfig(cfg: ChatConfig): void {
    writePrivateFileAtomic(this.configPath, `${JSON.stringify(cfg, null, 2)}\n`);
  }

  private readJson(path: string, missing: () => ChatError): unknown {
    const text = readOptional(path);
    if (text === undefined) throw missing();
    return parseJson(text, path);
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ChatError('PROFILE_CORRUPT', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Never echo the content: the file may hold secrets.
    throw new ChatError('PROFILE_CORRUPT', `${path} is not valid JSON`);
  }
}

function corrupt(path: string, what: string): ChatError {
  return new ChatError('PROFILE_CORRUPT', `${path}: ${what}`);
}

function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

function keyPairField(
  o: Record<string, unknown>,
  key: string,
  path: string,
): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const kp = o[key];
  if (typeof kp !== 'object' || kp === null) throw corrupt(path, `missing "${key}"`);
  const pk = str(kp as Record<string, unknown>, 'publicKey');
  const sk = str(kp as Record<string, unknown>, 'secretKey');
  if (pk === undefined || sk === undefined) throw corrupt(path, `"${key}" needs publicKey and secretKey`);
  try {
    return { publicKey: fromBase64(pk), secretKey: fromBase64(sk) };
  } catch {
    throw corrupt(path, `"${key}" keys are not base64`);
  }
}

/** Checks an identity file and re-derives the public keys from the secrets, so a damaged file is caught here. */
function checkVersion(raw: unknown, path: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null) throw corrupt(path, 'not an object');
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw corrupt(path, `unsupported identity file version ${JSON.stringify(o.version)}`);
  return o;
}

function passphraseRequired(path: string): ChatError {
  return new ChatError('PASSPHRASE_REQUIRED', `the keys in ${path} are protected by a passphrase and none was given`, {
    hint: 'set CHAT_PASSPHRASE or --passphrase-file <file>, or run in a terminal to be asked',
  });
}

export function parseIdentityFile(raw: unknown, path: string): Identity {
  const o = checkVersion(raw, path);
  if (o.format === 'passphrase') throw passphraseRequired(path);
  if (o.format !== 'plain') {
    throw new ChatError(
      'PROFILE_CORRUPT',
      `${path}: identity format ${JSON.stringify(o.format)} is not supported by this version of chat`,
    );
  }
  const id = keyPairField(o, 'identity', path);
  const enc = keyPairField(o, 'encryption', path);
  let identity: Identity;
  try {
    identity = identityFromSecrets(id.secretKey, enc.secretKey);
  } catch {
    throw corrupt(path, 'the secret keys are invalid');
  }
  if (
    !constantTimeEqual(identity.identity.publicKey, id.publicKey) ||
    !constantTimeEqual(identity.encryption.publicKey, enc.publicKey)
  ) {
    throw corrupt(path, 'the public keys do not match the secret keys');
  }
  return identity;
}

export function parseConfig(raw: unknown, path: string): ChatConfig {
  if (typeof raw !== 'object' || raw === null) throw corrupt(path, 'not an object');
  const o = raw as Record<string, unknown>;
  const username = str(o, 'username');
  const relay = str(o, 'relay');
  const relayId = str(o, 'relayId');
  if (o.version !== 1) throw corrupt(path, `unsupported config version ${JSON.stringify(o.version)}`);
  if (username === undefined || !isValidUsername(username)) throw corrupt(path, 'invalid "username"');
  if (relay === undefined) throw corrupt(path, 'missing "relay"');
  if (relayId === undefined || !/^[0-9a-f]{64}$/.test(relayId)) throw corrupt(path, 'invalid "relayId"');
  const cfg: ChatConfig = { version: 1, username, relay, relayId };
  const relayCert = o.relayCert;
  if (relayCert !== undefined) {
    if (typeof relayCert !== 'string' || !isRelayCertFingerprint(relayCert)) throw corrupt(path, 'invalid "relayCert"');
    cfg.relayCert = relayCert;
  }
  if (o.insecure !== undefined) {
    if (typeof o.insecure !== 'boolean') throw corrupt(path, 'invalid "insecure"');
    if (o.insecure) cfg.insecure = true;
  }
  return cfg;
}
