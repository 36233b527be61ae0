/**
 * The group send with sender keys (PROTOCOL.md §25.6), inside the transaction that queues a group send: pick the
 * members that go by sender key (those with a 1:1 v2 session), start a new epoch when the group changed, 1,000
 * messages were sent or 7 days passed, queue a distribution to each such member not yet given the epoch (before the
 * group message), and encrypt the message once. The other members get their copy pairwise, as before.
 */
import {
  GROUP_ENVELOPE_VERSION,
  GROUP_EPOCH_MAX_AGE_MS,
  GROUP_EPOCH_MAX_MESSAGES,
  GROUP_MESSAGE_KINDS,
  SENDER_KEY_KIND,
  distributionOf,
  encodeSenderKeyDistribution,
  fromHex,
  groupEncrypt,
  newSenderKey,
  pad,
  randomMessageId,
  seal,
  toHex,
} from '@chat/crypto';
import type { OutboxEntry } from '../store/outbox.js';
import type { OwnSenderKey } from '../store/sender-keys.js';
import type { Store } from '../store/store.js';

export interface SenderKeySendContext {
  readonly username: string;
  readonly store: Pick<Store, 'senderKeys' | 'v2' | 'groups' | 'timers'>;
}

/** `pad(kind ‖ u64be(ts) ‖ body)` (§25.4). */
export function groupPlaintext(kind: number, ts: number, body: Uint8Array): Uint8Array {
  const head = new Uint8Array(9);
  head[0] = kind;
  new DataView(head.buffer).setBigUint64(1, BigInt(ts));
  return pad(Buffer.concat([head, body]));
}

/** Whether our epoch must be replaced before the next message (§25.6 step 2). */
function stale(own: OwnSenderKey | undefined, stateVersion: number, now: number): boolean {
  return (
    !own ||
    own.stateVersion !== stateVersion ||
    own.key.iteration >= GROUP_EPOCH_MAX_MESSAGES ||
    now - own.createdAt >= GROUP_EPOCH_MAX_AGE_MS
  );
}

/**
 * The outbox entries of one group send with sender keys applied: distributions first (1:1 entries), then `entries`,
 * those of members with a v2 session carrying the message encrypted once (`groupMsg`). Must run in the transaction
 * that enqueues them (the chain's new state is written here). Anything not a §25.4 kind to a group we are in: as is.
 */
export function withSenderKey(
  m: SenderKeySendContext,
  kind: number,
  body: Uint8Array,
  ts: number,
  entries: readonly OutboxEntry[],
  now: number,
): OutboxEntry[] {
  if (!GROUP_MESSAGE_KINDS.has(kind) || body.length < 16) return [...entries];
  const gid = toHex(body.subarray(0, 16));
  const group = m.store.groups.get(gid);
  if (!group?.member) return [...entries];
  const sessions = new Map<string, number>();
  for (const e of entries) {
    const sid = m.store.v2.sessions(e.peer)[0]?.sid;
    if (sid !== undefined) sessions.set(e.peer, sid);
  }
  if (sessions.size === 0) return [...entries];
  // §25.3: a group with disappearing messages (§17.5) keeps no start key: a copy of chat.db must not derive the keys
  // of messages that have disappeared. Erased here, in the transaction of the first send after the timer came on.
  const timed = (m.store.timers.get(`#${gid}`)?.seconds ?? 0) > 0;
  let own = m.store.senderKeys.own(gid);
  if (stale(own, group.record.version, now)) {
    const fresh = newSenderKey();
    own = { gid, key: fresh, stateVersion: group.record.version, createdAt: now };
    if (!timed) own.start = fresh.chainKey.slice();
    m.store.senderKeys.saveOwn(own);
  } else if (timed && own?.start) {
    m.store.senderKeys.dropStart(gid);
    own.start.fill(0);
    own = { ...own, start: undefined };
  }
  const key = (own as OwnSenderKey).key;
  // §25.3: every distribution gives the epoch from its first message, so a member given it late (it asked, §25.9, or
  // it has a new session) opens what it kept of the epoch (§25.10). An epoch from before schema v17, or of a group
  // with a timer: from now on.
  const start = (own as OwnSenderKey).start;
  const given = start ? { ...key, iteration: 0, chainKey: start } : key;
  const gidBytes = fromHex(gid);
  const distributions: OutboxEntry[] = [];
  for (const [peer, sid] of sessions) {
    // A member given this epoch in another session than today's lost it (a restored profile): give it again.
    if (m.store.senderKeys.givenIn(gid, peer) === sid) continue;
    const dist = encodeSenderKeyDistribution(distributionOf(gidBytes, given));
    distributions.push({ id: toHex(randomMessageId()), peer, kind: SENDER_KEY_KIND, body: dist, ts: now });
    m.store.senderKeys.markGiven(gid, peer, sid);
  }
  const { message, key: next } = groupEncrypt(key, m.username, gidBytes, groupPlaintext(kind, ts, body));
  m.store.senderKeys.saveOwn({ ...(own as OwnSenderKey), key: next });
  key.chainKey.fill(0);
  return [...distributions, ...entries.map((e) => (sessions.has(e.peer) ? { ...e, groupMsg: message } : e))];
}

/** One member's copy: `0x03 ‖ seal(gmsg, its encryption key)` (§25.4). */
export function sealGroupCopy(groupMsg: Uint8Array, encryptionPublicKey: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(GROUP_ENVELOPE_VERSION), seal(groupMsg, encryptionPublicKey)]);
}
