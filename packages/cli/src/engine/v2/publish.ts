/**
 * Publishing our prekeys (PROTOCOL.md §23.3, §23.5, §24.6) on a version-2 connection: the current signed and
 * last-resort keys, the one-time keys made since, and more one-time keys whenever the relay reports its counts below
 * the low-water marks. Runs at login and on every receiving connection (not on a one-shot send's: it needs none),
 * and sweeps there what expires with the mailbox: members' unused sender-key chains (§25.7) and old seen ids.
 */
import { OPK_LOW_WATER, PQOPK_LOW_WATER } from '@chat/protocol';
import { GROUP_EPOCH_MAX_AGE_MS, PrekeyType, loadMlkem, mlkemLoaded } from '@chat/crypto';
import type { Self } from '../context.js';
import type { PrekeyCounts, PrekeyEntry } from '../net/connection.js';
import { SEEN_KEEP_MS } from '../store/seen.js';
import type { Store } from '../store/store.js';
import type { OwnPrekey } from '../store/v2.js';
import { maintainPrekeys, mlkemKeysDue, published, replenish } from './prekeys.js';

export type PublishContext = Self & { readonly store: Pick<Store, 'v2' | 'senderKeys' | 'transaction'> };
/** Publishing also sweeps (the file comment). */
export type SweepingPublishContext = Self & {
  readonly store: Pick<Store, 'v2' | 'senderKeys' | 'seen' | 'transaction'>;
};

/**
 * §25.7: a member's receiving chain unused this long is erased: the mailbox TTL (30 days) plus an epoch's longest life
 * (7 days), since a message of the epoch may be sent up to 7 days after we stored or last used the chain and then
 * wait 30 days on the relay. The TTL alone erased chains whose messages were still waiting.
 */
export const SENDER_KEY_UNUSED_MS = 30 * 24 * 60 * 60 * 1000 + GROUP_EPOCH_MAX_AGE_MS;

/** What publishing needs of a connection. */
export interface PrekeyPublisher {
  readonly speaksV2: boolean;
  /** The counts the relay sent after `welcome` (§23.5), if they arrived already. */
  readonly lastPrekeyCounts?: PrekeyCounts | undefined;
  prekeyPut(entries: readonly PrekeyEntry[], reset?: boolean): Promise<PrekeyCounts>;
}

/** Entries per `prekey_put`: ML-KEM keys are ~1.3 KB of frame each, and a frame holds about 100 of them (§23.2). */
const PUT_BATCH = 50;

const isOneTime = (k: OwnPrekey): boolean => k.type === PrekeyType.x25519OneTime || k.type === PrekeyType.mlkemOneTime;

/**
 * Rotates and makes what is due, publishes the signed keys and any new one-time keys, then tops the one-time keys
 * up if the relay's counts are low. A profile making its first one-time keys resets the relay's (§23.3 step 4): any
 * the relay still holds are from a profile whose private halves are gone. Nothing on a version-1 connection.
 * @throws {ChatError} the connection's or the relay's error.
 */
export async function publishPrekeys(m: SweepingPublishContext, conn: PrekeyPublisher): Promise<void> {
  if (!conn.speaksV2) return;
  const v2 = m.store.v2;
  const now = Date.now();
  if (mlkemKeysDue(v2, now)) await loadMlkem();
  // Another process may have used our last one-time keys since that check: then load and run it again.
  const maintain = (): OwnPrekey[] | null => {
    if (!mlkemLoaded() && mlkemKeysDue(v2, now)) return null;
    m.store.senderKeys.sweep(now - SENDER_KEY_UNUSED_MS);
    m.store.seen.prune(now - SEEN_KEEP_MS);
    return maintainPrekeys(m, v2, now);
  };
  let made = m.store.transaction(maintain);
  if (made === null) {
    await loadMlkem();
    made = m.store.transaction(maintain) ?? [];
  }
  const signed = [PrekeyType.x25519Signed, PrekeyType.mlkemLastResort].map((t) => v2.live(t).at(-1)!);
  const oneTime = made.filter(isOneTime);
  // Nothing new and the relay already holds our current signed keys: no request at all. Every request counts against
  // our rate limit (§11), and a session reconnecting under that limit must not spend its allowance here.
  const known = conn.lastPrekeyCounts;
  if (oneTime.length === 0 && known?.spkId === signed[0]!.keyId && known.pqspkId === signed[1]!.keyId) {
    await replenishFrom(m, conn, known);
    return;
  }
  const counts = await put(conn, [...signed, ...oneTime], oneTime.length > 0);
  await replenishFrom(m, conn, counts);
}

/** More one-time keys if `counts` (§23.5) are below the low-water marks. @throws {ChatError} */
export async function replenishFrom(m: PublishContext, conn: PrekeyPublisher, counts: PrekeyCounts): Promise<void> {
  if (!conn.speaksV2 || (counts.opk >= OPK_LOW_WATER && counts.pqopk >= PQOPK_LOW_WATER)) return;
  if (counts.pqopk < PQOPK_LOW_WATER) await loadMlkem();
  const made = m.store.transaction(() => {
    const now = Date.now();
    return [
      ...(counts.opk < OPK_LOW_WATER ? replenish(m, m.store.v2, PrekeyType.x25519OneTime, counts.opk, now) : []),
      ...(counts.pqopk < PQOPK_LOW_WATER ? replenish(m, m.store.v2, PrekeyType.mlkemOneTime, counts.pqopk, now) : []),
    ];
  });
  if (made.length > 0) await put(conn, made, false);
}

async function put(conn: PrekeyPublisher, keys: readonly OwnPrekey[], reset: boolean): Promise<PrekeyCounts> {
  let counts: PrekeyCounts | undefined;
  for (let i = 0; i < keys.length || counts === undefined; i += PUT_BATCH) {
    counts = await conn.prekeyPut(keys.slice(i, i + PUT_BATCH).map(published), reset && i === 0);
  }
  return counts;
}
