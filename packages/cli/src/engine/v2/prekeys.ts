/**
 * Our own prekeys (PROTOCOL.md §18, §24.6): generated, rotated and retired here, kept in the client database
 * (store/v2.ts), published by the connection. ML-KEM private keys are kept as their 64-byte KeyGen seed.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { MLKEM_SEED_BYTES, PrekeyType, type SignedPrekey, mlkemKeyPair, signPrekey, x25519KeyPair } from '@chat/crypto';
import type { Self } from '../context.js';
import type { OwnPrekey, V2Table } from '../store/v2.js';

const DAY_MS = 24 * 3600 * 1000;
/** Signed and last-resort keys are replaced weekly (§24.6). */
export const ROTATE_MS = 7 * DAY_MS;
/** A replaced key's private half is kept for the mailbox expiry (30 days, §11) plus 7 days' grace (§18.1). */
export const RETIRED_KEEP_MS = 37 * DAY_MS;
/** One-time keys we aim to have published: X25519 and ML-KEM-768 (§24.6). */
export const ONE_TIME_TARGET = 100;
export const PQ_ONE_TIME_TARGET = 25;
/** Most unused one-time keys of a type we keep (handed out by the relay but never used): the oldest go first. */
export const MAX_ONE_TIME_KEPT = 400;

const isMlkem = (type: number): boolean => type === PrekeyType.mlkemLastResort || type === PrekeyType.mlkemOneTime;

/** The public prekey as it is published and signed (§18.2). */
export function published(k: OwnPrekey): SignedPrekey {
  return { type: k.type as PrekeyType, keyId: k.keyId, publicKey: k.publicKey, signature: k.signature };
}

/** The key pair of a stored prekey: the X25519 pair, or the ML-KEM pair derived from its seed. */
export function keyPairOf(k: OwnPrekey): { publicKey: Uint8Array; secretKey: Uint8Array } {
  return isMlkem(k.type) ? mlkemKeyPair(k.secret) : { publicKey: k.publicKey, secretKey: k.secret };
}

/** Makes `count` new prekeys of `type` with unused random ids, stores them and returns them. */
export function makePrekeys(me: Self, v2: V2Table, type: PrekeyType, count: number, now: number): OwnPrekey[] {
  const used = v2.keyIds(type);
  const out: OwnPrekey[] = [];
  for (let i = 0; i < count; i++) {
    let keyId: number;
    // randomInt's range is below 2^48; two halves give any u32.
    do keyId = randomInt(0, 2 ** 16) * 2 ** 16 + randomInt(0, 2 ** 16);
    while (used.has(keyId));
    used.add(keyId);
    let secret: Uint8Array;
    let publicKey: Uint8Array;
    if (isMlkem(type)) {
      secret = new Uint8Array(randomBytes(MLKEM_SEED_BYTES));
      publicKey = mlkemKeyPair(secret).publicKey;
    } else {
      const pair = x25519KeyPair();
      secret = pair.secretKey;
      publicKey = pair.publicKey;
    }
    const { signature } = signPrekey(type, me.username, keyId, publicKey, me.identity.identity.secretKey);
    out.push({ type, keyId, publicKey, secret, signature, createdAt: now, eraseAt: null });
  }
  v2.addPrekeys(out);
  return out;
}

/**
 * Brings our prekeys up to date at `now` (the caller's transaction): erases what has expired, replaces a signed or
 * last-resort key older than a week (the old one retired for RETIRED_KEEP_MS), and makes the first one-time keys.
 * Returns the keys made (to publish); empty if nothing changed.
 */
export function maintainPrekeys(me: Self, v2: V2Table, now: number): OwnPrekey[] {
  v2.sweep(now, now - RETIRED_KEEP_MS);
  const made: OwnPrekey[] = [];
  for (const type of [PrekeyType.x25519Signed, PrekeyType.mlkemLastResort]) {
    if (!rotationDue(v2, type, now)) continue;
    for (const old of v2.live(type)) v2.retire(type, old.keyId, now + RETIRED_KEEP_MS);
    made.push(...makePrekeys(me, v2, type, 1, now));
  }
  if (noOneTimeKeys(v2)) {
    made.push(...makePrekeys(me, v2, PrekeyType.x25519OneTime, ONE_TIME_TARGET, now));
    made.push(...makePrekeys(me, v2, PrekeyType.mlkemOneTime, PQ_ONE_TIME_TARGET, now));
  }
  return made;
}

/**
 * True if {@link maintainPrekeys} at `now` would make an ML-KEM key: the caller then loads the ML-KEM code first
 * (`loadMlkem`), which most connections never need.
 */
export function mlkemKeysDue(v2: V2Table, now: number): boolean {
  return rotationDue(v2, PrekeyType.mlkemLastResort, now) || noOneTimeKeys(v2);
}

/** The newest live key of `type` is missing or a week old (§24.6). */
function rotationDue(v2: V2Table, type: PrekeyType, now: number): boolean {
  const newest = v2.live(type).at(-1);
  return newest === undefined || now - newest.createdAt >= ROTATE_MS;
}

/** No one-time key of either kind: a new profile (or one whose keys were all used): make the first batch. */
const noOneTimeKeys = (v2: V2Table): boolean =>
  v2.live(PrekeyType.x25519OneTime).length === 0 && v2.live(PrekeyType.mlkemOneTime).length === 0;

/**
 * New one-time keys when the relay reports it holds `have` of `type` (§23.5): enough to reach the target, and the
 * oldest kept beyond MAX_ONE_TIME_KEPT erased (the relay handed them out and no message ever used them).
 */
export function replenish(me: Self, v2: V2Table, type: PrekeyType, have: number, now: number): OwnPrekey[] {
  const target = type === PrekeyType.mlkemOneTime ? PQ_ONE_TIME_TARGET : ONE_TIME_TARGET;
  if (have >= target) return [];
  const made = makePrekeys(me, v2, type, target - have, now);
  const live = v2.live(type);
  for (const old of live.slice(0, Math.max(0, live.length - MAX_ONE_TIME_KEPT))) v2.erasePrekey(type, old.keyId);
  return made;
}
