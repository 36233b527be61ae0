/**
 * The profile directory (`CHAT_HOME`, else `$XDG_CONFIG_HOME/chat`, else `~/.config/chat`): the identity keys,
 * config.json (username, relay address, pinned relay id) and the history database.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { constantTimeEqual, fromBase64, identityFromSecrets, isRelayCertFingerprint, isValidUsername, toBase64, type Identity } from '@chat/crypto';
import { ChatError } from './errors.js';
import { writePrivateFileAtomic } from './files.js';

export type Env = Record<string, string | undefined>;

export const IDENTITY_FILE = 'identity.json';
export const CONFIG_FILE = 'config.json';
export const DB_FILE = 'chat.db';

/** Where the profile lives, from the environment (never from the working directory). */
export function profileHome(env: Env): string {
  if (env.CHAT_HOME) return resolve(env.CHAT_HOME);
  const xdg = env.XDG_CONFIG_HOME;
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (xdg && xdg.startsWith('/')) return join(xdg, 'chat');
  return join(env.HOME || homedir(), '.config', 'chat');
}

/**
 * On-disk identity, version 1. `format: "plain"` stores the secrets in base64; a later version adds a
 * passphrase-encrypted format beside it, which this version refuses to guess at.
 */
export interface IdentityFileV1 {
  version: 1;
  format: 'plain';
  created: string;
  identity: { publicKey: string; secretKey: string };
  encryption: { publicKey: string; secretKey: string };
}

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

export class Profile {
  readonly identityPath: string;
  readonly configPath: string;
  readonly dbPath: string;

  constructor(readonly home: string) {
    this.identityPath = join(home, IDENTITY_FILE);
    this.configPath = join(home, CONFIG_FILE);
    this.dbPath = join(home, DB_FILE);
  }

  static fromEnv(env: Env): Profile {
    return new Profile(profileHome(env));
  }

  /** @throws {ChatError} `NO_IDENTITY` (hint: chat keygen) or `PROFILE_CORRUPT`. */
  loadIdentity(): Identity {
    const raw = this.readJson(this.identityPath, () => new ChatError('NO_IDENTITY', `no identity in ${this.home}`, { hint: 'run chat keygen' }));
    return parseIdentityFile(raw, this.identityPath);
  }

  hasIdentity(): boolean {
    return readOptional(this.identityPath) !== undefined;
  }

  /** Writes the identity file (0600). @throws {ChatError} `IDENTITY_EXISTS` unless `force`. */
  saveIdentity(identity: Identity, { force = false } = {}): void {
    if (!force && this.hasIdentity()) {
      throw new ChatError('IDENTITY_EXISTS', `an identity already exists in ${this.home}`, {
        hint: 'use chat keygen --force to replace it (the old keys are lost, and relays will refuse the new key for your old username)',
      });
    }
    const file: IdentityFileV1 = {
      version: 1,
      format: 'plain',
      created: new Date().toISOString(),
      identity: { publicKey: toBase64(identity.identity.publicKey), secretKey: toBase64(identity.identity.secretKey) },
      encryption: { publicKey: toBase64(identity.encryption.publicKey), secretKey: toBase64(identity.encryption.secretKey) },
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
    if (!cfg) throw new ChatError('NOT_LOGGED_IN', 'not logged in', { hint: 'run chat login <name> --relay host:port' });
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

function keyPairField(o: Record<string, unknown>, key: string, path: string): { publicKey: Uint8Array; secretKey: Uint8Array } {
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
export function parseIdentityFile(raw: unknown, path: string): Identity {
  if (typeof raw !== 'object' || raw === null) throw corrupt(path, 'not an object');
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw corrupt(path, `unsupported identity file version ${JSON.stringify(o.version)}`);
  if (o.format !== 'plain') {
    throw new ChatError('PROFILE_CORRUPT', `${path}: identity format ${JSON.stringify(o.format)} is not supported by this version of chat`);
  }
  const id = keyPairField(o, 'identity', path);
  const enc = keyPairField(o, 'encryption', path);
  let identity: Identity;
  try {
    identity = identityFromSecrets(id.secretKey, enc.secretKey);
  } catch {
    throw corrupt(path, 'the secret keys are invalid');
  }
  if (!constantTimeEqual(identity.identity.publicKey, id.publicKey) || !constantTimeEqual(identity.encryption.publicKey, enc.publicKey)) {
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
