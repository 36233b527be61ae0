/**
 * Safety numbers (PROTOCOL.md §3.5): 60 digits that two users compare out of band to know that each holds the
 * other's real identity key. Built like Signal's numeric fingerprints: per user, an iterated SHA-512 over the
 * identity key and username gives 30 digits; the two halves are concatenated in ascending order, so both sides see
 * the same number.
 */
import { createHash } from 'node:crypto';
import { PUBLIC_KEY_BYTES } from './constants.js';
import { constantTimeEqual } from './bytes.js';
import { isValidUsername } from './bundle.js';

/** Domain-separation label of §3.5. */
export const SAFETY_NUMBER_LABEL = 'chat/v1/safety\0';
/** SHA-512 rounds per half (Signal uses 5200 too): slows a search for a colliding key without bothering a user. */
export const SAFETY_NUMBER_ITERATIONS = 5200;
export const SAFETY_NUMBER_DIGITS = 60;

/** The 30-digit half of one user: §3.5 `half(username, identity_pk)`. */
export function safetyNumberHalf(username: string, identityPublicKey: Uint8Array): string {
  if (!isValidUsername(username)) throw new TypeError(`safetyNumberHalf: invalid username ${JSON.stringify(username)}`);
  if (!(identityPublicKey instanceof Uint8Array) || identityPublicKey.length !== PUBLIC_KEY_BYTES) {
    throw new TypeError(`safetyNumberHalf: identityPublicKey must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  const name = Buffer.from(username, 'utf8');
  let h = createHash('sha512')
    .update(SAFETY_NUMBER_LABEL, 'latin1')
    .update(Uint8Array.of(name.length))
    .update(name)
    .update(identityPublicKey)
    .digest();
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++)
    h = createHash('sha512').update(h).update(identityPublicKey).digest();
  let digits = '';
  // Six chunks of 5 bytes, each a 40-bit big-endian integer mod 100000, written as 5 digits.
  for (let i = 0; i < 30; i += 5) {
    const chunk = h.readUIntBE(i, 5);
    digits += String(chunk % 100000).padStart(5, '0');
  }
  return digits;
}

/**
 * The 60-digit safety number of two users, the same whichever side computes it.
 *
 * @throws {TypeError} on an invalid username or a key that is not 32 bytes.
 * @example safetyNumber('alice', aliceIdPk, 'bob', bobIdPk) === safetyNumber('bob', bobIdPk, 'alice', aliceIdPk)
 */
export function safetyNumber(userA: string, identityA: Uint8Array, userB: string, identityB: Uint8Array): string {
  const a = safetyNumberHalf(userA, identityA);
  const b = safetyNumberHalf(userB, identityB);
  return a <= b ? a + b : b + a;
}

/** 12 groups of 5 digits separated by single spaces, as users read them. */
export function formatSafetyNumber(digits: string): string {
  return digits.match(/.{1,5}/g)?.join(' ') ?? '';
}

/**
 * The 60 digits of a safety number as a user typed it (spaces, dashes and line breaks ignored), or undefined when it
 * is not one: the one reading of typed input, for safetyNumberMatches and for callers that tell a malformed entry
 * from a mismatch.
 */
export function typedSafetyNumber(typed: string): string | undefined {
  const clean = typed.replace(/[\s-]/g, '');
  return /^\d{60}$/.test(clean) ? clean : undefined;
}

/**
 * Compares a safety number a user typed (spaces, dashes and line breaks ignored) with the computed one, in constant
 * time for inputs of the right length. False for anything that is not 60 digits.
 */
export function safetyNumberMatches(typed: string, expected: string): boolean {
  const clean = typedSafetyNumber(typed);
  if (clean === undefined || expected.length !== SAFETY_NUMBER_DIGITS) return false;
  return constantTimeEqual(Buffer.from(clean, 'latin1'), Buffer.from(expected, 'latin1'));
}
