/**
 * identity.json with `format: "passphrase"` (PROTOCOL.md §13.1): the public keys in clear, the two 32-byte secret
 * keys sealed with scrypt + AES-256-GCM. The AAD binds the label, both public keys and the KDF parameters, so no
 * field can be swapped without the tag failing. The storage key of chat.db (§13.3, storage-key.ts) is sealed under
 * the same derived key in a box of its own: one scrypt run opens both.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { fromBase64, identityFromSecrets, toBase64, type Identity } from '@chat/crypto';
import { ChatError } from './errors.js';
import {
  IDENTITY_SCRYPT,
  SALT_BYTES,
  checkScryptParams,
  deriveKey,
  deriveKeySync,
  keyfileAad,
  openWithKey,
  sealWithKey,
  type ScryptParams,
} from './secret-box.js';
import {
  openStorageKey,
  parseSealedStorageKey,
  sealStorageKey,
  storageAad,
  type SealedStorageKey,
} from './storage-key.js';

export const IDENTITY_KEY_LABEL = 'chat/v1/identity-key\0';

export interface EncryptedIdentityFile {
  version: 1;
  format: 'passphrase';
  created: string;
  identity: { publicKey: string };
  encryption: { publicKey: string };
  kdf: { name: 'scrypt'; logN: number; r: number; p: number; salt: string };
  aead: { name: 'aes-256-gcm'; nonce: string };
  /** base64(AES-256-GCM(identity_sk ‖ encryption_sk) ‖ tag) */
  secretKeys: string;
  /** The sealed storage key of chat.db (§13.3); absent in files written before it existed. */
  storage?: SealedStorageKey;
}

/** §13.1 AAD. */
export function identityAad(
  identityPk: Uint8Array,
  encryptionPk: Uint8Array,
  params: ScryptParams,
  salt: Uint8Array,
): Uint8Array {
  return keyfileAad(IDENTITY_KEY_LABEL, identityPk, encryptionPk, params, salt);
}

export function encryptIdentity(
  identity: Identity,
  passphrase: string,
  created: string,
  storageKey: Uint8Array,
  params: ScryptParams = IDENTITY_SCRYPT,
): EncryptedIdentityFile {
  const salt = randomBytes(SALT_BYTES);
  const key = deriveKeySync(passphrase, salt, params);
  try {
    return sealAll(key, salt, identity, created, storageKey, params);
  } finally {
    key.fill(0);
  }
}

/** As encryptIdentity, with scrypt on the thread pool (the re-wrap at unlock, §13.1). */
export async function encryptIdentityAsync(
  identity: Identity,
  passphrase: string,
  created: string,
  storageKey: Uint8Array,
  params: ScryptParams = IDENTITY_SCRYPT,
): Promise<EncryptedIdentityFile> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(passphrase, salt, params);
  try {
    return sealAll(key, salt, identity, created, storageKey, params);
  } finally {
    key.fill(0);
  }
}

/** Both boxes under one derived key, each with a fresh nonce. */
function sealAll(
  key: Uint8Array,
  salt: Uint8Array,
  identity: Identity,
  created: string,
  storageKey: Uint8Array,
  params: ScryptParams,
): EncryptedIdentityFile {
  const { publicKey: idPk } = identity.identity;
  const { publicKey: encPk } = identity.encryption;
  const secrets = Buffer.concat([identity.identity.secretKey, identity.encryption.secretKey]);
  try {
    const box = sealWithKey(key, secrets, identityAad(idPk, encPk, params, salt));
    return {
      version: 1,
      format: 'passphrase',
      created,
      identity: { publicKey: toBase64(idPk) },
      encryption: { publicKey: toBase64(encPk) },
      kdf: { name: 'scrypt', logN: params.logN, r: params.r, p: params.p, salt: toBase64(salt) },
      aead: { name: 'aes-256-gcm', nonce: toBase64(box.nonce) },
      secretKeys: toBase64(box.sealed),
      storage: sealStorageKey(key, storageKey, storageAad(idPk, encPk, params, salt)),
    };
  } finally {
    secrets.fill(0);
  }
}

export interface ParsedEncrypted {
  identityPk: Uint8Array;
  encryptionPk: Uint8Array;
  params: ScryptParams;
  salt: Uint8Array;
  nonce: Uint8Array;
  sealed: Uint8Array;
  /** The sealed storage key (§13.3), undefined in a file from before it. */
  storage: { nonce: Uint8Array; sealed: Uint8Array } | undefined;
}

function corrupt(path: string, what: string): ChatError {
  return new ChatError('PROFILE_CORRUPT', `${path}: ${what}`);
}

/** Shape checks of a `passphrase` identity file, before any key derivation. @throws {ChatError} PROFILE_CORRUPT */
export function parseEncryptedIdentity(o: Record<string, unknown>, path: string): ParsedEncrypted {
  const obj = (k: string): Record<string, unknown> => {
    const v = o[k];
    if (typeof v !== 'object' || v === null) throw corrupt(path, `missing "${k}"`);
    return v as Record<string, unknown>;
  };
  const b64 = (v: unknown, what: string, len?: number): Uint8Array => {
    if (typeof v !== 'string') throw corrupt(path, `missing ${what}`);
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(v);
    } catch {
      throw corrupt(path, `${what} is not base64`);
    }
    if (len !== undefined && bytes.length !== len) throw corrupt(path, `${what} must be ${len} bytes`);
    return bytes;
  };
  const kdf = obj('kdf');
  const aead = obj('aead');
  if (kdf.name !== 'scrypt' || aead.name !== 'aes-256-gcm') throw corrupt(path, 'unsupported kdf or cipher');
  const params = { logN: kdf.logN, r: kdf.r, p: kdf.p } as ScryptParams;
  if (!checkScryptParams(params)) throw corrupt(path, 'scrypt parameters out of range');
  return {
    identityPk: b64(obj('identity').publicKey, 'identity.publicKey', 32),
    encryptionPk: b64(obj('encryption').publicKey, 'encryption.publicKey', 32),
    params,
    salt: b64(kdf.salt, 'kdf.salt', 16),
    nonce: b64(aead.nonce, 'aead.nonce', 12),
    sealed: b64(o.secretKeys, 'secretKeys', 64 + 16),
    storage: parseSealedStorageKey(o.storage, path),
  };
}

/** What a `passphrase` file opens to: the identity, and the storage key unless the file predates it. */
export interface OpenedKeys {
  identity: Identity;
  storageKey: Buffer | undefined;
}

/**
 * Derives the key (on the thread pool), opens the secrets and the storage key and re-derives the public keys from the
 * secrets.
 * @throws {ChatError} BAD_PASSPHRASE (exit 7), PROFILE_CORRUPT.
 */
export async function decryptKeys(f: ParsedEncrypted, passphrase: string, path: string): Promise<OpenedKeys> {
  const key = await deriveKey(passphrase, f.salt, f.params);
  let secrets: Buffer;
  let storageKey: Buffer | undefined;
  try {
    secrets = openWithKey(key, f.nonce, f.sealed, identityAad(f.identityPk, f.encryptionPk, f.params, f.salt), path);
    if (f.storage)
      storageKey = openStorageKey(key, f.storage, storageAad(f.identityPk, f.encryptionPk, f.params, f.salt), path);
  } finally {
    key.fill(0);
  }
  try {
    const identity = identityFromSecrets(secrets.subarray(0, 32), secrets.subarray(32, 64));
    if (
      !Buffer.from(identity.identity.publicKey).equals(f.identityPk) ||
      !Buffer.from(identity.encryption.publicKey).equals(f.encryptionPk)
    ) {
      throw corrupt(path, 'the public keys do not match the secret keys');
    }
    return { identity, storageKey };
  } finally {
    secrets.fill(0);
  }
}

/** The identity alone (decryptKeys). @throws {ChatError} BAD_PASSPHRASE (exit 7), PROFILE_CORRUPT. */
export async function decryptIdentity(f: ParsedEncrypted, passphrase: string, path: string): Promise<Identity> {
  const { identity, storageKey } = await decryptKeys(f, passphrase, path);
  storageKey?.fill(0);
  return identity;
}
