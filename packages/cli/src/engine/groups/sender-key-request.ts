/**
 * The sender's half of a sender key request (PROTOCOL.md §25.9; the receiver's is receive/group-key-request.ts): a
 * member that asks about our current epoch of a group counts as not given it, so our next group message there carries
 * a distribution first (§25.6 step 3). Marking, rather than queueing a distribution now, reuses the one path that
 * gives the key, costs nothing if we never write again in that epoch, and lets a member's stream of requests cost at
 * most one distribution per group message we send. Runs in the batch's transaction.
 */
import { SENDER_KEY_REQUEST_BYTES, SENDER_KEY_REQUEST_KIND, constantTimeEqual, toHex } from '@chat/crypto';
import type { Self } from '../context.js';
import type { KindHandler } from '../receive/handlers.js';
import type { Store } from '../store/store.js';

type RequestContext = Pick<Self, 'username'> & { readonly store: Pick<Store, 'groups' | 'senderKeys'> };

/** Whether we are in our current state of `gid` and `peer` is a member of it too. */
function bothMembers(m: RequestContext, gid: string, peer: string): boolean {
  const g = m.store.groups.get(gid);
  if (!g?.member) return false;
  const members = new Set(g.record.members.map((x) => x.user));
  return members.has(peer) && members.has(m.username);
}

/** Sender: the handler of kind 0x19. Everything but a member's request for our current epoch is ignored. */
export function senderKeyRequestHandlers(m: RequestContext): [number, KindHandler][] {
  const handle: KindHandler = ({ opened }) => {
    // A v2 message carries no signature (§24.1): a signed one is a v1 envelope, which never asks for a key.
    if (opened.signature.length > 0) return { outcome: 'applied' };
    if (opened.body.length !== SENDER_KEY_REQUEST_BYTES) {
      const detail = `a sender key request is ${SENDER_KEY_REQUEST_BYTES} bytes, got ${opened.body.length}`;
      return { outcome: 'rejected', code: 'ENVELOPE_MALFORMED', detail };
    }
    const gid = toHex(opened.body.subarray(0, 16));
    if (!bothMembers(m, gid, opened.from)) return { outcome: 'applied' };
    const own = m.store.senderKeys.own(gid);
    if (own && constantTimeEqual(own.key.epoch, opened.body.subarray(16))) {
      m.store.senderKeys.forgetGiven(gid, opened.from);
    }
    return { outcome: 'applied' };
  };
  return [[SENDER_KEY_REQUEST_KIND, handle]];
}
