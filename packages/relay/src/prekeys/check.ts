/**
 * The relay's checks of a `prekey_put` batch (PROTOCOL.md §23.3 steps 1–3), before anything is stored: pure
 * functions over the decoded frame and the account's registered identity key.
 */
import { CryptoError, verifyPrekey, type PrekeyType } from '@chat/crypto';
import type { PrekeyPutFrame } from '@chat/protocol';
import type { StoredPrekey } from '../store/prekeys.js';

/** A refused batch: the wire code and a message naming the entry. */
export interface BatchRefusal {
  code: 'PREKEY_INVALID' | 'PREKEY_BAD_SIGNATURE';
  msg: string;
}

/** ML-KEM-768 (FIPS 203): q, and the bytes of the encoded polynomial vector t̂ (k = 3, 384 bytes each). */
const MLKEM_Q = 3329;
const MLKEM_T_BYTES = 1152;

/**
 * FIPS 203 §7.2 modulus check of an encapsulation key: every 12-bit coefficient of its first 1,152 bytes
 * (ByteDecode₁₂: two coefficients per three bytes, little-endian) is below q. The length was checked by the codec.
 */
export function mlkemModulusOk(key: Uint8Array): boolean {
  for (let i = 0; i < MLKEM_T_BYTES; i += 3) {
    const b0 = key[i]!;
    const b1 = key[i + 1]!;
    const b2 = key[i + 2]!;
    if ((b0 | ((b1 & 0x0f) << 8)) >= MLKEM_Q || ((b1 >> 4) | (b2 << 4)) >= MLKEM_Q) return false;
  }
  return true;
}

/**
 * Checks every entry of `f` for `username`, registered with `identityPublicKey`: §23.3 step 1 over the batch, then
 * per entry step 2 (key form) and step 3 (signature, built with `username`, so a key signed for another name fails).
 * Returns the entries to store, or the first refusal.
 */
export function checkPrekeyBatch(
  f: PrekeyPutFrame,
  username: string,
  identityPublicKey: Uint8Array,
): StoredPrekey[] | BatchRefusal {
  const seen = new Set<string>();
  const entries: StoredPrekey[] = [];
  for (let i = 0; i < f.types.length; i++) {
    const e: StoredPrekey = { type: f.types[i]!, keyId: f.ids[i]!, key: f.keys[i]!, sig: f.sigs[i]! };
    const invalid = (why: string): BatchRefusal => ({ code: 'PREKEY_INVALID', msg: `entry ${i}: ${why}` });
    const slot = e.type === 1 || e.type === 3 ? String(e.type) : `${e.type}/${e.keyId}`;
    if (seen.has(slot)) {
      return invalid(
        slot.includes('/') ? `key id ${e.keyId} of type ${e.type} twice` : `a second key of type ${e.type}`,
      );
    }
    seen.add(slot);
    if ((e.type === 3 || e.type === 4) && !mlkemModulusOk(e.key)) {
      return invalid('the ML-KEM-768 key fails the FIPS 203 modulus check');
    }
    try {
      // The X25519 form checks (canonical, not of small order) and the signature (§18.3 steps 3 and 4).
      verifyPrekey(
        { type: e.type as PrekeyType, keyId: e.keyId, publicKey: e.key, signature: e.sig },
        username,
        identityPublicKey,
        [e.type as PrekeyType],
      );
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      if (err.code === 'PREKEY_BAD_SIGNATURE') {
        return { code: 'PREKEY_BAD_SIGNATURE', msg: `entry ${i}: the signature does not verify for ${username}` };
      }
      return invalid(err.message);
    }
    entries.push(e);
  }
  return entries;
}
