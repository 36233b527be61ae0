/**
 * The handler of a sender key distribution (PROTOCOL.md §25.3): it arrived in a 1:1 v2 session (a v1 envelope of its
 * kind is refused before any handler). Stored, in the batch's transaction, as the receiving chain of (gid, sender,
 * epoch), only from a member of a group we are in; a distribution for a chain we hold changes nothing.
 */
import {
  CryptoError,
  SENDER_KEY_KIND,
  type SenderKeyDistribution,
  parseSenderKeyDistribution,
  receivingSenderKey,
  toHex,
} from '@chat/crypto';
import type { Self } from '../context.js';
import type { Delivery, KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';

type SenderKeyContext = Pick<Self, 'username'> & { readonly store: Pick<Store, 'groups' | 'senderKeys'> };

/**
 * Opens what was kept for a chain just stored (§25.10: receive/group-held.ts, given by the Messenger, since a feature
 * sees nothing of receive/ but the handler table).
 */
export type OpenKept = (
  gid: string,
  sender: string,
  epoch: Uint8Array,
  d: Pick<Delivery, 'later' | 'emit'>,
  now: number,
) => void;

export function senderKeyHandlers(m: SenderKeyContext, openKept: OpenKept): [number, KindHandler][] {
  const handle: KindHandler = (d) => {
    let dist: SenderKeyDistribution;
    try {
      dist = parseSenderKeyDistribution(d.opened.body);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      return { outcome: 'rejected', code: err.code, detail: err.message };
    }
    const gid = toHex(dist.gid);
    const from = d.opened.from;
    const g = m.store.groups.get(gid);
    const members = new Set(g?.record.members.map((x) => x.user));
    if (!g?.member || !members.has(from) || !members.has(m.username)) {
      const detail = `a group key from ${from}, who is not a member of a group we are in (${gid.slice(0, 8)})`;
      return { outcome: 'rejected', code: 'GROUP_NOT_MEMBER', detail };
    }
    const now = Date.now();
    const added = m.store.senderKeys.addPeer(gid, from, dist.epoch, receivingSenderKey(dist), now);
    m.store.senderKeys.answered(gid, from); // §25.9: a request open to `from` for this group is answered
    dist.chainKey.fill(0);
    // §25.10: what came before it under this chain opens now, in this transaction.
    if (added) openKept(gid, from, dist.epoch, d, now);
    return { outcome: 'applied' };
  };
  return [[SENDER_KEY_KIND, handle]];
}
