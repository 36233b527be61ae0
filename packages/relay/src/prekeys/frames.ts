/** The relay's answers to the prekey frames (PROTOCOL.md §23.3–§23.5) of a version-2 session. */
import { isValidUsername } from '@chat/crypto';
import {
  MAX_STORED_OPK,
  MAX_STORED_PQOPK,
  OPK_LOW_WATER,
  PQOPK_LOW_WATER,
  errFrame,
  type PrekeyGetFrame,
  type PrekeyPutFrame,
  type RelayFrame,
} from '@chat/protocol';
import type { AddressPrefix } from '../address-key.js';
import type { RelayContext } from '../context.js';
import { checkPrekeyBatch } from './check.js';

export type PrekeyDeps = Pick<RelayContext, 'prekeys' | 'prekeyBudget' | 'prekeyListeners' | 'store' | 'log'>;

const CAPS = { maxOpk: MAX_STORED_OPK, maxPqopk: MAX_STORED_PQOPK };

/** §23.3: check the whole batch, then store it in one transaction; `prekey_count` or a non-fatal `err`. */
export async function answerPrekeyPut(
  ctx: PrekeyDeps,
  user: string,
  identityPublicKey: Uint8Array,
  f: PrekeyPutFrame,
): Promise<RelayFrame> {
  const entries = checkPrekeyBatch(f, user, identityPublicKey);
  if (!Array.isArray(entries)) return errFrame(entries.code, entries.msg, f.rid);
  const out = await ctx.prekeys.publish(user, entries, f.reset === true, CAPS);
  if (out === 'over_limit') {
    return errFrame(
      'PREKEY_LIMIT',
      `at most ${MAX_STORED_OPK} one-time X25519 and ${MAX_STORED_PQOPK} one-time ML-KEM-768 prekeys are kept; nothing was stored`,
      f.rid,
    );
  }
  // The account was deleted while the batch was on its way (its sessions are being closed).
  if (out === 'unknown_owner') return errFrame('UNKNOWN_USER', `no user ${user} on this relay`, f.rid);
  return { t: 'prekey_count', rid: f.rid, ...out.counts };
}

/**
 * §23.4: the prekey bundle of `f.user`, consuming at most one one-time key of each kind when the requester's
 * one-time budget (§23.6) allows; then, if that left the owner low, its sessions here are told (§23.5).
 */
export async function answerPrekeyGet(
  ctx: PrekeyDeps,
  requester: string,
  address: readonly AddressPrefix[],
  f: PrekeyGetFrame,
): Promise<RelayFrame> {
  const owner = isValidUsername(f.user) ? await ctx.store.getUser(f.user) : undefined;
  if (!owner) return errFrame('UNKNOWN_USER', `no user ${JSON.stringify(f.user)} on this relay`, f.rid);
  const oneTime = ctx.prekeyBudget.take(requester, address, Date.now());
  const keys = await ctx.prekeys.take(owner.username, oneTime);
  if (!keys) return errFrame('NO_PREKEYS', `${owner.username} has published no v2 prekeys on this relay`, f.rid);
  const took = keys.opk !== undefined || keys.pq.type === 4;
  if (took && (keys.left.opk < OPK_LOW_WATER || keys.left.pqopk < PQOPK_LOW_WATER)) {
    void tellOwner(ctx, owner.username);
  }
  return {
    t: 'prekey_bundle',
    rid: f.rid,
    user: owner.username,
    idpk: owner.identityPublicKey,
    encpk: owner.encryptionPublicKey,
    bsig: owner.bundleSignature,
    spkId: keys.spk.keyId,
    spk: keys.spk.key,
    spkSig: keys.spk.sig,
    ...(keys.opk ? { opkId: keys.opk.keyId, opk: keys.opk.key, opkSig: keys.opk.sig } : {}),
    pqType: keys.pq.type === 4 ? 4 : 3,
    pqId: keys.pq.keyId,
    pq: keys.pq.key,
    pqSig: keys.pq.sig,
  };
}

/** Sends the owner's counts to its version-2 sessions on this relay, if it has any. */
async function tellOwner(ctx: PrekeyDeps, owner: string): Promise<void> {
  const sessions = ctx.prekeyListeners.get(owner);
  if (!sessions || sessions.size === 0) return;
  try {
    const counts = await ctx.prekeys.counts(owner);
    for (const s of sessions) s.prekeyCount(counts);
  } catch (err) {
    ctx.log({ event: 'store_error', error: (err as Error).message });
  }
}
