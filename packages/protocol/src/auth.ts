/** The message an `auth` frame's `sig` signs (PROTOCOL.md §8). */
import { Buffer } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import { NONCE_BYTES, RELAY_ID_BYTES } from './constants.js';
import type { Mode } from './frames.js';
import { hasLoneSurrogate } from './utf8.js';

/** Domain-separation label of the auth message: ASCII, ending with one zero byte. */
export const AUTH_LABEL = 'chat/v1/auth\0';

/** The mode byte of the auth message. */
export const AUTH_MODE_BYTES: Readonly<Record<Mode, number>> = Object.freeze({ recv: 0x01, send: 0x02 });

const LABEL = Buffer.from(AUTH_LABEL, 'latin1');

/**
 * `"chat/v1/auth\0" ‖ relay_id (32) ‖ nonce (32) ‖ len8(user) ‖ user ‖ mode (u8: 0x01 recv, 0x02 send)` (§8).
 * The client signs it with its identity key; the relay verifies `auth.sig` over it with `auth.idpk`.
 *
 * @throws {RangeError} if `relayId` or `nonce` is not 32 bytes, or `user` is not 1..255 UTF-8 bytes.
 * @throws {TypeError} on arguments of the wrong type, or a `mode` other than 'recv' / 'send'.
 * @example const sig = sign(identity.secretKey, authMessage(challenge.relay, challenge.nonce, 'alice', 'recv'))
 */
export function authMessage(relayId: Uint8Array, nonce: Uint8Array, user: string, mode: Mode): Uint8Array {
  exactBytes('relayId', relayId, RELAY_ID_BYTES);
  exactBytes('nonce', nonce, NONCE_BYTES);
  if (typeof user !== 'string' || hasLoneSurrogate(user)) {
    throw new TypeError('authMessage: user must be a well-formed string');
  }
  const name = Buffer.from(user, 'utf8');
  if (name.length < 1 || name.length > 255) {
    throw new RangeError(`authMessage: user must be 1..255 UTF-8 bytes (len8), got ${name.length}`);
  }
  if (mode !== 'recv' && mode !== 'send') throw new TypeError(`authMessage: mode must be 'recv' or 'send'`);
  return Buffer.concat([LABEL, relayId, nonce, Buffer.of(name.length), name, Buffer.of(AUTH_MODE_BYTES[mode])]);
}

function exactBytes(what: string, b: unknown, n: number): void {
  if (!isUint8Array(b)) throw new TypeError(`authMessage: ${what} must be a Uint8Array`);
  if (b.length !== n) throw new RangeError(`authMessage: ${what} must be ${n} bytes, got ${b.length}`);
}
