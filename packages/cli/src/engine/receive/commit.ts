/**
 * The second half of handling delivered envelopes (§4 step 7, §9): a batch of checked envelopes (receive-check.ts) is
 * applied in delivery order inside one store transaction — history, rejected ids, receipts applied and the delivery
 * receipts to send — so the batch costs one commit (one fsync) instead of several per message. Nothing is announced
 * and nothing may be acknowledged until that transaction has committed: the caller gets the ids to acknowledge and
 * the events to emit afterwards.
 */
import { MessageKind, fromUtf8, toHex, type OpenedEnvelope } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import { handleFileEnvelope } from '../files/incoming.js';
import { applyGroupEnvelope, isGroupKind } from '../groups/receive.js';
import type { Messenger, ReceivedMessage } from '../messenger.js';
import type { Checked } from './check.js';
import type { ReceiveOptions, ReceiveSummary } from './receiver.js';

export interface Committed {
  /** Ids the relay may delete now (§9): committed, duplicates, rejected. Not held or ephemeral ones. */
  acks: Uint8Array[];
  /** Events and callbacks in delivery order, to run after the commit. */
  events: (() => void)[];
  /** Delivery receipts were queued in the outbox. */
  receipts: boolean;
}

/** What one batch accumulates while its transaction is open. */
class Batch {
  readonly acks: Uint8Array[] = [];
  readonly events: (() => void)[] = [];
  readonly counts: ReceiveSummary = { received: 0, duplicates: 0, held: 0, rejected: 0 };
  /** Peers heard from (last seen, as this client observed it). */
  readonly seen = new Set<string>();
  /** New text message ids per sender, for `delivered` receipts (§4.1). */
  readonly delivered = new Map<string, string[]>();

  constructor(
    readonly m: Messenger,
    readonly options: ReceiveOptions,
  ) {}
}

/**
 * Applies `checked` in order in one transaction; adds to `summary` only once it has committed.
 * @throws whatever the store throws; the transaction is then rolled back and nothing may be acknowledged.
 */
export function commitChecked(m: Messenger, checked: readonly Checked[], options: ReceiveOptions, summary: ReceiveSummary): Committed {
  const b = new Batch(m, options);
  let receipts = false;
  m.store.transaction(() => {
    for (const c of checked) {
      if (apply(b, c)) b.acks.push(c.frame.id);
    }
    const now = Date.now();
    for (const peer of b.seen) m.store.outbox.setLastSeen(peer, now);
    for (const [peer, ids] of b.delivered) receipts = m.enqueueReceipts(peer, MessageKind.delivered, ids) || receipts;
  });
  summary.received += b.counts.received;
  summary.duplicates += b.counts.duplicates;
  summary.held += b.counts.held;
  summary.rejected += b.counts.rejected;
  return { acks: b.acks, events: b.events, receipts };
}

/** Applies one checked envelope; true if it may be acknowledged. */
function apply(b: Batch, c: Checked): boolean {
  const m = b.m;
  switch (c.outcome) {
    case 'ignored':
      return false;
    case 'typing':
      b.seen.add(c.from);
      b.events.push(() => m.emit('typing', { from: c.from, active: c.active }));
      return false;
    case 'held': {
      b.counts.held++;
      const held = { id: toHex(c.frame.id), from: c.from, reason: c.reason };
      b.events.push(() => m.emit('held', held));
      return false;
    }
    case 'rejected':
      return reject(b, c.frame, c.code, c.detail);
    case 'ok':
      return applyOpened(b, c.frame, c.opened);
  }
}

/** §4 step 7 and §4.1 for a verified, stored envelope, by kind. Always acknowledged. */
function applyOpened(b: Batch, frame: MsgFrame, opened: OpenedEnvelope): boolean {
  const { m, options } = b;
  const id = toHex(frame.id);
  if (opened.kind === MessageKind.delivered || opened.kind === MessageKind.read) {
    applyReceipt(b, opened);
    return true;
  }
  if (isGroupKind(opened.kind)) {
    const r = applyGroupEnvelope(m, id, opened, frame.ts);
    if (r.outcome === 'rejected') return reject(b, frame, r.code, r.detail);
    if (r.outcome === 'duplicate') b.counts.duplicates++;
    else {
      b.counts.received++;
      const message = r.message;
      b.events.push(() => {
        options.onGroupMessage?.(message);
        m.emit('groupMessage', message);
      });
    }
    return true;
  }
  // File offer / answer (§16.3).
  if (handleFileEnvelope(m, opened, (e) => b.events.push(() => m.emit('file', e)))) return true;
  if (opened.kind !== MessageKind.text) return true; // a stored typing signal: acknowledged, ignored (§4.1)
  // §4 step 7: INSERT OR IGNORE on the id; a redelivery is acknowledged again but not shown.
  const body = fromUtf8(opened.body);
  const fromSelf = opened.from === m.username;
  const isNew = m.store.addMessage({
    id, peer: opened.from, direction: 'in', body, ts: opened.ts, relayTs: frame.ts, receivedAt: Date.now(), state: fromSelf ? 'read' : 'unread',
  });
  if (!isNew) {
    b.counts.duplicates++;
    return true;
  }
  b.seen.add(opened.from);
  const ids = b.delivered.get(opened.from);
  if (ids) ids.push(id);
  else b.delivered.set(opened.from, [id]);
  b.counts.received++;
  const message: ReceivedMessage = { id, from: opened.from, to: opened.to, body, ts: opened.ts, relayTs: frame.ts };
  b.events.push(() => {
    options.onMessage?.(message);
    m.emit('message', message);
  });
  return true;
}

/** §4.1: moves our own messages to the receipt's sender forward to delivered / read; other ids are ignored. */
function applyReceipt(b: Batch, opened: OpenedEnvelope): void {
  const { m } = b;
  const state = opened.kind === MessageKind.read ? 'read' : 'delivered';
  for (let at = 0; at < opened.body.length; at += 16) {
    const msgId = toHex(opened.body.subarray(at, at + 16));
    if (m.store.outbox.advance(msgId, opened.from, state)) b.events.push(() => m.emit('delivery', { id: msgId, peer: opened.from, state }));
  }
}

function reject(b: Batch, frame: MsgFrame, code: string, detail: string): boolean {
  const id = toHex(frame.id);
  b.counts.rejected++;
  if (b.m.store.addRejected({ id, reason: code, relayTs: frame.ts, rejectedAt: Date.now() })) {
    b.events.push(() => b.m.emit('rejected', { id, code, detail }));
  }
  return true;
}
