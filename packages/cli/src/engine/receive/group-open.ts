/**
 * Receiving a group message sent with a sender key (PROTOCOL.md §25.5). The sealed box is opened and the message
 * parsed while the batch is checked (`unsealGroup`, steps 1–3); it is decrypted in the batch's transaction
 * (`openGroupMessage`, steps 4–8), so a distribution committed earlier in the same batch is there, and the chain's new
 * state is written with the history row. Membership and the kind's rules are the kind's handler's (step 9).
 */
import {
  CryptoError,
  GROUP_ENVELOPE_VERSION,
  GROUP_MESSAGE_KINDS,
  type GroupMessage,
  MAX_ENVELOPE_BYTES,
  type OpenedEnvelope,
  constantTimeEqual,
  groupDecrypt,
  messageBodyProblem,
  openSealed,
  parseGroupMessage,
  toHex,
  unpad,
} from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { Self } from '../context.js';
import type { HeldMessage } from '../events.js';
import type { Store } from '../store/store.js';
import type { Checked } from './checked.js';

export const isGroupEnvelope = (env: Uint8Array): boolean =>
  env[0] === GROUP_ENVELOPE_VERSION && env.length <= MAX_ENVELOPE_BYTES;

/** §25.5 steps 1–3: open, parse, and drop an id already committed before any chain is touched. */
export function unsealGroup(m: Self & { readonly store: Pick<Store, 'v2'> }, frame: MsgFrame): Checked {
  if (frame.eph === true) return { outcome: 'ignored', frame }; // only typing travels ephemerally (§4.1)
  let inner: Uint8Array;
  try {
    inner = openSealed(frame.env.subarray(1), m.identity.encryption.publicKey, m.identity.encryption.secretKey);
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    return { outcome: 'rejected', frame, code: 'ENVELOPE_OPEN_FAILED', detail: 'envelope does not open' };
  }
  let msg: GroupMessage;
  try {
    msg = parseGroupMessage(inner);
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    return { outcome: 'rejected', frame, code: err.code, detail: err.message };
  }
  if (m.store.v2.committed(toHex(frame.id))) return { outcome: 'duplicate', frame };
  return { outcome: 'group', frame, msg };
}

export type GroupOpened =
  | { outcome: 'ok'; opened: OpenedEnvelope }
  | { outcome: 'duplicate' }
  /** No chain yet, from a sender whose key we have not accepted: its distribution is held too (§25.5 step 4). */
  | { outcome: 'held'; reason: HeldMessage['reason'] }
  | { outcome: 'rejected'; code: string; detail: string };

/**
 * §25.5 steps 4–8 inside the batch's transaction: the receiving chain of (gid, from, epoch), the checks in order, and
 * the chain's new state stored. The envelope as its kind's handler sees it (`to` is us, `id` as delivered).
 */
export function openGroupMessage(
  m: Pick<Self, 'username'> & { readonly store: Pick<Store, 'senderKeys' | 'v2' | 'contacts'> },
  frame: MsgFrame,
  msg: GroupMessage,
  now: number,
): GroupOpened {
  const gid = toHex(msg.gid);
  let plaintext: Uint8Array;
  try {
    const chain = m.store.senderKeys.peer(gid, msg.from, msg.epoch);
    if (!chain) {
      // The distribution came in the 1:1 session, which is held while the sender's key is not accepted (§3.4): it is
      // still on the relay, ahead of this message, so this waits with it instead of being rejected and lost.
      const trust = m.store.contacts.get(msg.from)?.trust;
      if (trust === 'untrusted') return { outcome: 'held', reason: 'UNTRUSTED_IDENTITY' };
      if (trust === 'changed') return { outcome: 'held', reason: 'KEY_CHANGED' };
      const detail = `no sender key from ${msg.from} for this epoch of group ${gid.slice(0, 8)}`;
      return { outcome: 'rejected', code: 'GROUP_EPOCH_UNKNOWN', detail };
    }
    const r = groupDecrypt(chain, msg);
    m.store.senderKeys.savePeer(gid, msg.from, msg.epoch, r.key, now);
    m.store.senderKeys.answered(gid, msg.from); // §25.9: the key came, so a request to `from` may go out again
    plaintext = r.plaintext;
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    if (err.code === 'GROUP_DUPLICATE') return { outcome: 'duplicate' };
    return { outcome: 'rejected', code: err.code, detail: err.message };
  }
  // §24.5: a group message in a sender key is v2 from that peer (the key came in a v2 session).
  m.store.v2.markV2Peer(msg.from, now);
  let plain: Uint8Array;
  try {
    plain = unpad(plaintext);
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
    return { outcome: 'rejected', code: err.code, detail: err.message };
  } finally {
    plaintext.fill(0);
  }
  const malformed = (why: string): GroupOpened => ({ outcome: 'rejected', code: 'ENVELOPE_MALFORMED', detail: why });
  if (plain.length < 9) return malformed('group message plaintext too short');
  const kind = plain[0] as number;
  const ts = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getBigUint64(1);
  const body = plain.slice(9);
  if (!GROUP_MESSAGE_KINDS.has(kind)) return malformed(`kind ${kind} cannot travel in a group message`);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) return malformed('ts is above 2^53 - 1');
  if (body.length < 16 || !constantTimeEqual(body.subarray(0, 16), msg.gid)) {
    return malformed('the body names another group than the header');
  }
  const problem = messageBodyProblem(kind, body);
  if (problem !== undefined) return malformed(problem);
  const empty = new Uint8Array(0);
  return {
    outcome: 'ok',
    opened: {
      kind,
      from: msg.from,
      to: m.username,
      id: frame.id,
      ts: Number(ts),
      body,
      signature: empty,
      signedMessage: empty,
    },
  };
}
