/**
 * The Double Ratchet's KDF chains (Signal, "The Double Ratchet Algorithm", revision 4, §5.2) as PROTOCOL.md §20.2
 * fixes them: KDF_RK on HKDF-SHA-256, KDF_CK on HMAC-SHA-256, and the expansion of a message key into an AEAD key
 * and nonce.
 */
import { hkdfSha256, hmacSha256 } from './kdf.js';
import {
  AEAD_NONCE_BYTES,
  RATCHET_CHAIN_KEY_CONSTANT,
  RATCHET_KEY_BYTES,
  RATCHET_MESSAGE_INFO,
  RATCHET_MESSAGE_KEY_CONSTANT,
  RATCHET_ROOT_INFO,
} from './v2-constants.js';

const MK_INPUT = Uint8Array.of(RATCHET_MESSAGE_KEY_CONSTANT);
const CK_INPUT = Uint8Array.of(RATCHET_CHAIN_KEY_CONSTANT);
const ZERO_SALT = new Uint8Array(32);

/**
 * `KDF_RK(rk, dh_out)`: `HKDF-SHA-256(salt = rk, ikm = dh_out, info = "chat/v2/ratchet/root", L = 64)`, split into
 * the new root key (first 32 bytes) and a chain key (last 32).
 * @example const { rootKey, chainKey } = kdfRk(state.rootKey, dhOut)
 */
export function kdfRk(rootKey: Uint8Array, dhOut: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const okm = hkdfSha256(dhOut, rootKey, RATCHET_ROOT_INFO, 2 * RATCHET_KEY_BYTES);
  const out = { rootKey: okm.slice(0, RATCHET_KEY_BYTES), chainKey: okm.slice(RATCHET_KEY_BYTES) };
  okm.fill(0);
  return out;
}

/**
 * `KDF_CK(ck)`: message key `HMAC-SHA-256(ck, 0x01)`, next chain key `HMAC-SHA-256(ck, 0x02)`.
 * @example const { chainKey, messageKey } = kdfCk(state.sendingChainKey)
 */
export function kdfCk(chainKey: Uint8Array): { chainKey: Uint8Array; messageKey: Uint8Array } {
  return { messageKey: hmacSha256(chainKey, MK_INPUT), chainKey: hmacSha256(chainKey, CK_INPUT) };
}

/**
 * The AEAD key and nonce of a message key: `HKDF-SHA-256(salt = 32 zero bytes, ikm = mk, info =
 * "chat/v2/ratchet/message", L = 44)`, key = bytes 0..31, nonce = bytes 32..43 (views of one array: the caller wipes
 * both).
 * @example const { key, nonce } = messageKeyMaterial(mk)
 */
export function messageKeyMaterial(messageKey: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdfSha256(messageKey, ZERO_SALT, RATCHET_MESSAGE_INFO, RATCHET_KEY_BYTES + AEAD_NONCE_BYTES);
  // Two views of one fresh array, not copies: wiping both (as every caller does) wipes all of it.
  return { key: okm.subarray(0, RATCHET_KEY_BYTES), nonce: okm.subarray(RATCHET_KEY_BYTES) };
}
