/**
 * Encoding checks shared by both Ed25519 verifiers and by bundle checks, so that libsodium (the product's verifier)
 * and the tweetnacl reference accept exactly the same signatures and keys (PROTOCOL.md §2). All inputs here are
 * public: variable time is fine.
 */

/** ℓ = 2^252 + 27742317777372353535851937790883648493, the order of the Ed25519 base point, little-endian. */
const L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/**
 * y-coordinates (little-endian, top bit clear) of the eight Ed25519 points of small order: 1 (order 1), p−1
 * (order 2), 0 (order 4) and the two order-8 values, as in libsodium's `ge25519_has_small_order` blocklist.
 */
const SMALL_ORDER_Y: readonly Uint8Array[] = [
  hex('0000000000000000000000000000000000000000000000000000000000000000'),
  hex('0100000000000000000000000000000000000000000000000000000000000000'),
  hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
];

/**
 * u-coordinates of the X25519 points of low order that are canonical (RFC 7748 §6.1; Bernstein's list): X25519
 * of any clamped scalar with one of them is all zero.
 */
const LOW_ORDER_U: readonly Uint8Array[] = [
  hex('0000000000000000000000000000000000000000000000000000000000000000'),
  hex('0100000000000000000000000000000000000000000000000000000000000000'),
  hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
  hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
  hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
];

/** True if the 32 bytes `s`, little-endian, are < ℓ (RFC 8032 §5.1.7 step 1). */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const a = s[i] as number;
    const b = L[i] as number;
    if (a !== b) return a < b;
  }
  return false; // s = ℓ
}

/** True if the low 255 bits of `b`, little-endian, are < p = 2^255 − 19. */
function below25519(b: Uint8Array): boolean {
  if (((b[31] as number) & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (b[i] !== 0xff) return true;
  return (b[0] as number) < 0xed;
}

/**
 * True if `point` is the canonical encoding of its y (y < p, RFC 8032 §5.1.3 step 1) and not "−0" (x = 0 with
 * the sign bit set, §5.1.3 step 4; x = 0 exactly when y = 1 or y = p − 1).
 */
export function isCanonicalEdPoint(point: Uint8Array): boolean {
  if (point.length !== 32 || !below25519(point)) return false;
  if (((point[31] as number) & 0x80) === 0) return true;
  return !sameY(point, SMALL_ORDER_Y[1] as Uint8Array) && !sameY(point, SMALL_ORDER_Y[2] as Uint8Array);
}

/** True if the y of `point` (top bit ignored) is that of one of the eight points of small order. */
export function isSmallOrderEdPoint(point: Uint8Array): boolean {
  return SMALL_ORDER_Y.some((y) => sameY(point, y));
}

/**
 * The checks an Ed25519 verifier makes before any curve arithmetic (PROTOCOL.md §2): 64-byte signature, `S < ℓ`,
 * `R` and `A` canonical and not of small order (as libsodium's `crypto_sign_verify_detached`).
 */
export function passesEd25519Prechecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const r = signature.subarray(0, 32);
  return (
    isCanonicalScalar(signature.subarray(32)) &&
    isCanonicalEdPoint(r) &&
    !isSmallOrderEdPoint(r) &&
    isCanonicalEdPoint(publicKey) &&
    !isSmallOrderEdPoint(publicKey)
  );
}

/** True if `publicKey` is 32 bytes, its high bit is clear and its little-endian value is < 2^255 − 19 (§2). */
export function canonicalX25519(publicKey: Uint8Array): boolean {
  return publicKey.length === 32 && ((publicKey[31] as number) & 0x80) === 0 && below25519(publicKey);
}

/** True if `publicKey` is one of the canonical X25519 points of low order (all-zero included). */
export function lowOrderX25519(publicKey: Uint8Array): boolean {
  return LOW_ORDER_U.some((u) => u.every((x, i) => x === publicKey[i]));
}

function sameY(point: Uint8Array, y: Uint8Array): boolean {
  for (let i = 0; i < 31; i++) if (point[i] !== y[i]) return false;
  return ((point[31] as number) & 0x7f) === y[31];
}

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}
