/**
 * PROTOCOL.md §25.10: a group message whose sender key distribution has not come is kept, still encrypted under the
 * sender's chain, and opened when the distribution is stored (groups/sender-key-receive.ts), in that transaction and
 * in the order the messages came, by the same §25.5 steps and kind handlers as a message delivered then.
 */
import { CryptoError, type GroupMessage, fromHex, parseGroupMessage, toHex } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { ReceiveContext } from '../context.js';
import type { HoldResult } from '../store/held.js';
import type { Store } from '../store/store.js';
import { bothMembers } from './group-key-request.js';
import { openGroupMessage } from './group-open.js';
import type { Delivery } from './handlers.js';

type HoldContext = Pick<ReceiveContext, 'username'> & {
  readonly store: Pick<Store, 'groups' | 'blocked' | 'held'>;
};

/**
 * §25.10: keeps a group message that had no chain (GROUP_EPOCH_UNKNOWN), if both we and its claimed sender are
 * members of our state of the group, the sender is not us or blocked, and the bounds allow. 'full' when it is not
 * kept (then it is rejected as before).
 */
export function holdGroupMessage(m: HoldContext, frame: MsgFrame, msg: GroupMessage, now: number): HoldResult {
  const gid = toHex(msg.gid);
  if (msg.from === m.username || m.store.blocked.has(msg.from) || !bothMembers(m, gid, msg.from)) return 'full';
  const gmsg = Buffer.concat([msg.signed, msg.signature]);
  const held = { id: toHex(frame.id), gid, sender: msg.from, epoch: msg.epoch, iteration: msg.iteration, gmsg };
  return m.store.held.holdGroup({ ...held, relayTs: frame.ts }, now);
}

type OpenContext = Pick<ReceiveContext, 'username' | 'handlers'> & {
  readonly store: Pick<Store, 'held' | 'senderKeys' | 'v2' | 'contacts' | 'blocked' | 'seen' | 'rejected'>;
};

/**
 * §25.10 Opening: the messages kept for (gid, sender, epoch), now that its distribution is stored, each checked and
 * committed as if delivered just after it; what fails is recorded as rejected with its code. Events go out through
 * `d` (the distribution's delivery) once the batch has committed.
 */
export function openHeldGroupMessages(
  m: OpenContext,
  gid: string,
  sender: string,
  epoch: Uint8Array,
  d: Pick<Delivery, 'later' | 'emit'>,
  now: number,
): void {
  for (const h of m.store.held.groupFor(gid, sender, epoch)) {
    m.store.held.removeGroup(h.seq);
    const reject = (code: string, detail: string): void => {
      if (m.store.rejected.add({ id: h.id, reason: code, relayTs: h.relayTs, rejectedAt: now }))
        d.later(() => d.emit('rejected', { id: h.id, code, detail }));
    };
    let msg: GroupMessage;
    try {
      msg = parseGroupMessage(h.gmsg);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      reject(err.code, err.message);
      continue;
    }
    const frame = { id: fromHex(h.id), ts: h.relayTs ?? 0, env: new Uint8Array(0) } as MsgFrame;
    const r = openGroupMessage(m, frame, msg, now);
    if (r.outcome === 'rejected') {
      reject(r.code, r.detail);
      continue;
    }
    if (r.outcome !== 'ok') {
      // Below the chain's first iteration (GROUP_DUPLICATE): the distribution's chain starts after it (§25.9).
      reject('GROUP_EPOCH_UNKNOWN', `sent before the sender key ${sender} gave us for this epoch`);
      continue;
    }
    // As receive/commit.ts applies a decrypted envelope: nothing from a blocked user, no redelivered id.
    if (m.store.blocked.has(sender) || m.store.seen.has(h.id)) continue;
    const handler = m.handlers.get(r.opened.kind);
    if (!handler) continue;
    const out = handler({ id: h.id, relayTs: h.relayTs ?? 0, opened: r.opened, later: d.later, emit: d.emit });
    if (out.outcome === 'rejected') reject(out.code, out.detail);
  }
}
