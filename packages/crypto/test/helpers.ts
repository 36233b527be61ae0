/** Shared by the crypto tests: vectors, libsodium, typed-error assertions. Not part of the package. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sodiumModule from 'libsodium-wrappers';
import { expect } from 'vitest';
import { CryptoError, type CryptoErrorCode } from '../src/index.js';

/** Wycheproof vectors vendored into the repository (see vectors/README.md for where they came from). */
export const VECTORS_DIR = new URL('./vectors/wycheproof/', import.meta.url);

export function loadVectors<T>(name: string): T {
  const url = new URL(name, VECTORS_DIR);
  if (!existsSync(url)) throw new Error(`test vectors not found at ${fileURLToPath(url)}`);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** libsodium, initialised. */
export async function libsodium(): Promise<typeof sodiumModule> {
  await sodiumModule.ready;
  return sodiumModule;
}

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Runs `fn`, which must throw a CryptoError with `code`; returns the error. */
export function expectCryptoError(fn: () => unknown, code: CryptoErrorCode): CryptoError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected CryptoError ${code}`).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
  return thrown as CryptoError;
}

/** A copy of `b` with byte `i` XORed with `mask`. */
export function flip(b: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const out = new Uint8Array(b);
  out[i] = (out[i] as number) ^ mask;
  return out;
}

export const P = 2n ** 255n - 19n;

/** Little-endian 32-byte encoding of `n`. */
export function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

export function fromLe(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] as number);
  return n;
}

/** Concatenation into a fresh Uint8Array. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
