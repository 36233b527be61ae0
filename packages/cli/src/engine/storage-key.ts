/**
 * The storage key (PROTOCOL.md §13.3): 32 random bytes that encrypt chat.db (and its WAL and journals) at rest. It
 * lives in identity.json beside the identity keys: sealed under the passphrase-derived key in a `passphrase` file,
 * in base64 in a `plain` one (`--no-passphrase`, where the history is therefore not protected from whoever reads the
 * profile). It is never in a backup: a backup carries no history to open with it.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { fromBase64, toBase64 } from '@chat/crypto';
import { ChatError } from './errors.js';
import { keyfileAad, openWithKey, sealWithKey, type ScryptParams } from './secret-box.js';

export const STORAGE_KEY_LABEL = 'chat/v1/storage-key\0';
export const STORAGE_KEY_BYTES = 32;

/** identity.json's `storage` object in a `passphrase` file. */
export interface SealedStorageKey {
  nonce: string;
  /** base64(AES-256-GCM(storage_key) ‖ tag): 48 bytes. */
  sealed: string;
}

export function newStorageKey(): Buffer {
  return randomBytes(STORAGE_KEY_BYTES);
}

/** §13.3 AAD: as the identity's (§13.1) with its own label, so neither box can stand in for the other. */
export function storageAad(
  identityPk: Uint8Array,
  encryptionPk: Uint8Array,
  params: ScryptParams,
  salt: Uint8Array,
): Uint8Array {
  return keyfileAad(STORAGE_KEY_LABEL, identityPk, encryptionPk, params, salt);
}

/** Seals `storageKey` under the key derived from the passphrase (the same derivation as the identity's). */
export function sealStorageKey(key: Uint8Array, storageKey: Uint8Array, aad: Uint8Array): SealedStorageKey {
  const box = sealWithKey(key, storageKey, aad);
  return { nonce: toBase64(box.nonce), sealed: toBase64(box.sealed) };
}

/** The parsed `storage` object, or undefined when the file predates it. @throws {ChatError} PROFILE_CORRUPT */
export function parseSealedStorageKey(v: unknown, path: string): { nonce: Uint8Array; sealed: Uint8Array } | undefined {
  if (v === undefined) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || typeof o.nonce !== 'string' || typeof o.sealed !== 'string')
    throw corrupt(path, '"storage" needs nonce and sealed');
  const nonce = b64(o.nonce, path, 'storage.nonce');
  const sealed = b64(o.sealed, path, 'storage.sealed');
  if (nonce.length !== 12 || sealed.length !== STORAGE_KEY_BYTES + 16) throw corrupt(path, '"storage" has bad sizes');
  return { nonce, sealed };
}

/** @throws {ChatError} BAD_PASSPHRASE (the tag), PROFILE_CORRUPT */
export function openStorageKey(
  key: Uint8Array,
  box: { nonce: Uint8Array; sealed: Uint8Array },
  aad: Uint8Array,
  path: string,
): Buffer {
  return openWithKey(key, box.nonce, box.sealed, aad, path);
}

/** A `plain` file's `storageKey`, or undefined when the file predates it. @throws {ChatError} PROFILE_CORRUPT */
export function parsePlainStorageKey(v: unknown, path: string): Buffer | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw corrupt(path, '"storageKey" is not a string');
  const key = b64(v, path, 'storageKey');
  if (key.length !== STORAGE_KEY_BYTES) throw corrupt(path, `"storageKey" must be ${STORAGE_KEY_BYTES} bytes`);
  return Buffer.from(key);
}

function b64(v: string, path: string, what: string): Uint8Array {
  try {
    return fromBase64(v);
  } catch {
    throw corrupt(path, `${what} is not base64`);
  }
}

function corrupt(path: string, what: string): ChatError {
  return new ChatError('PROFILE_CORRUPT', `${path}: ${what}`);
}
