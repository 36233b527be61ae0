/**
 * identity.json with `format: "passphrase"` (PROTOCOL.md §13.1): the public keys in clear, the two 32-byte secret
 * keys sealed with scrypt + AES-256-GCM. The AAD binds the label, both public keys and the KDF parameters, so no
 * field can be swapped without the tag failing.
 */
import { Buffer } from 'node:buffer';
import { fromBase64, identityFromSecrets, toBase64, type Identity } from '@chat/crypto';
import { ChatError } from './errors.js';
import {
  IDENTITY_SCRYPT,
  checkScryptParams,
  deriveKey,
  openWithKey,
  sealWithPassphrase,
  sealWithPassphraseAsync,
  type ScryptParams,
  type Sealed,
} from './secret-box.js';

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
}

/** §13.1 AAD. */
export function identityAad(
  identityPk: Uint8Array,
  encryptionPk: Uint8Array,
  params: ScryptParams,
  salt: Uint8Array,
): Uint8Array {
  return Buffer.concat([
    Buffer.from(IDENTITY_KEY_LABEL, 'latin1'),
    identityPk,
    encryptionPk,
    Uint8Array.of(params.logN, params.r, params.p),
    salt,
  ]);
}

export function encryptIdentity(
  identity: Identity,
  passphrase: string,
  created: string,
  params: ScryptParams = IDENTITY_SCRYPT,
): EncryptedIdentityFile {
  const secrets = Buffer.concat([identity.identity.secretKey, identity.encryption.secretKey]);
  try {
    return identityFile(
      identity,
      created,
      params,
      sealWithPassphrase(passphrase, secrets, aadFor(identity, params), params),
    );
  } finally {
    secrets.fill(0);
  }
}

/** As encryptIdentity, with scrypt on the thread pool (the re-wrap at unlock, §13.1). */
export async function encryptIdentityAsync(
  identity: Identity,
  passphrase: string,
  created: string,
  params: ScryptParams = IDENTITY_SCRYPT,
): Promise<EncryptedIdentityFile> {
  const secrets = Buffer.concat([identity.identity.secretKey, identity.encryption.secretKey]);
  try {
    const box = await sealWithPassphraseAsync(passphrase, secrets, aadFor(identity, params), params);
    return identityFile(identity, created, params, box);
  } finally {
    secrets.fill(0);
  }
}

function aadFor(identity: Identity, params: ScryptParams): (salt: Uint8Array) => Uint8Array {
  return (salt) => identityAad(identity.identity.publicKey, identity.encryption.publicKey, params, salt);
}

function identityFile(identity: Identity, created: string, params: ScryptParams, box: Sealed): EncryptedIdentityFile {
  return {
    version: 1,
    format: 'passphrase',
    created,
    identity: { publicKey: toBase64(identity.identity.publicKey) },
    encryption: { publicKey: toBase64(identity.encryption.publicKey) },
    kdf: { name: 'scrypt', logN: params.logN, r: params.r, p: params.p, salt: toBase64(box.salt) },
    aead: { name: 'aes-256-gcm', nonce: toBase64(box.nonce) },
    secretKeys: toBase64(box.sealed),
  };
}

export interface ParsedEncrypted {
  identityPk: Uint8Array;
  encryptionPk: Uint8Array;
  params: ScryptParams;
  salt: Uint8Array;
  nonce: Uint8Array;
  sealed: Uint8Array;
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
  };
}

/**
 * Derives the key (on the thread pool), opens the secrets and re-derives the public keys from them.
 * @throws {ChatError} BAD_PASSPHRASE (exit 7), PROFILE_CORRUPT.
 */
export async function decryptIdentity(f: ParsedEncrypted, passphrase: string, path: string): Promise<Identity> {
  const key = await deriveKey(passphrase, f.salt, f.params);
  let secrets: Buffer;
  try {
    secrets = openWithKey(key, f.nonce, f.sealed, identityAad(f.identityPk, f.encryptionPk, f.params, f.salt), path);
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
    return identity;
  } finally {
    secrets.fill(0);
  }
}
