/**
 * Textbook edwards25519 arithmetic in BigInt (RFC 8032 §5.1), independent of every library under test: slow,
 * variable time, for building edge-case keys and signatures in tests only.
 */
import { createHash } from 'node:crypto';
import { fromLe, le32, P } from './helpers.js';

export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m;
const pow = (b: bigint, e: bigint): bigint => {
  let r = 1n;
  b = mod(b);
  for (; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
};
const inv = (a: bigint): bigint => pow(a, P - 2n);
export const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

export interface Point {
  x: bigint;
  y: bigint;
}
export const IDENTITY: Point = { x: 0n, y: 1n };

/** RFC 8032 §5.1.3 recovery of x from y and its sign; undefined if y is not on the curve. Accepts y ≥ p. */
export function fromY(y: bigint, sign: 0 | 1): Point | undefined {
  y = mod(y);
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  const x2 = mod(u * inv(v));
  let x = pow(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = mod(x * SQRT_M1);
  if (mod(x * x - x2) !== 0n) return undefined;
  if (Number(x & 1n) !== sign) x = mod(-x);
  return { x, y };
}

export function decode(b: Uint8Array): Point | undefined {
  const y = fromLe(b) & ((1n << 255n) - 1n);
  return fromY(y, (((b[31] as number) >> 7) & 1) as 0 | 1);
}

export function encode(p: Point): Uint8Array {
  return le32(p.y | ((p.x & 1n) << 255n));
}

export function add(a: Point, b: Point): Point {
  const t = mod(D * a.x * b.x * a.y * b.y);
  return { x: mod((a.x * b.y + a.y * b.x) * inv(1n + t)), y: mod((a.y * b.y + a.x * b.x) * inv(1n - t)) };
}

export function mul(k: bigint, p: Point): Point {
  let r = IDENTITY;
  for (let q = p; k > 0n; k >>= 1n, q = add(q, q)) if (k & 1n) r = add(r, q);
  return r;
}

export const BASE = fromY(mod(4n * inv(5n)), 0) as Point;

export const isIdentity = (p: Point): boolean => p.x === 0n && p.y === 1n;

/** H(R ‖ A ‖ M) mod ℓ (RFC 8032 §5.1.7 step 2). */
export function challenge(r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint {
  return fromLe(createHash('sha512').update(r).update(a).update(m).digest()) % L;
}

/** The secret scalar of an Ed25519 seed (RFC 8032 §5.1.5 steps 1–3). */
export function secretScalar(seed: Uint8Array): bigint {
  const h = createHash('sha512').update(seed).digest().subarray(0, 32);
  h[0] = (h[0] as number) & 248;
  h[31] = ((h[31] as number) & 127) | 64;
  return fromLe(h);
}
