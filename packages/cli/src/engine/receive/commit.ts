/**
 * The second half of handling delivered envelopes (§4 step 7, §9): a batch of checked envelopes (receive-check.ts) is
 * applied in delivery order inside one store transaction — history, rejected ids, receipts applied and the delivery
 * receipts to send — so the batch costs one commit (one fsync) instead of several per message. Nothing is announced
 * and nothing may be acknowledged until that transaction has committed: the caller gets the ids to acknowledge and
 * the events to emit afterwards.
 */
import { MessageKind, toHex, type OpenedEnvelope } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { ReceiveContext } from '../context.js';
import type { Emit, HeldMessage, ReceiveOptions, ReceiveSummary } from '../events.js';
import { askForResends, awaitResend } from '../v2/recovery.js';
import type { Checked } from './check.js';
import { holdGroupMessage } from './group-held.js';
import { askForSenderKey } from './group-key-request.js';
import { openGroupMessage } from './group-open.js';

export interface Committed {
  /** Ids the relay may delete now (§9): committed, duplicates, rejected. Not held or ephemeral ones. */
  acks: Uint8Array[];
  /** Events and callbacks in delivery order, to run after the commit. */
  events: (() => void)[];
  /** Something was queued in the outbox (delivery receipts, a resend request, §24.7): kick it. */
  queued: boolean;
  /** Held envelopes (§3.4), in delivery order: the live session checks them again once their key is accepted. */
  held: { from: string; frame: MsgFrame; reason: HeldMessage['reason'] }[];
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
  readonly held: Committed['held'] = [];
  /** An envelope failed for want of a session (§24.7): resend requests may be due. */
  awaiting = false;
  /** A sender key request was queued (§25.9): the outbox must run. */
  queued = false;
  /** Peers a v2 message decrypted from: an open resend request to them is answered (§24.7). */
  readonly decrypted = new Set<string>();

  /** The context's emit, calling the `receive` options' callbacks first. */
  readonly emit: Emit;
  readonly #blocked = new Map<string, boolean>();

  constructor(
    readonly m: ReceiveContext,
    options: ReceiveOptions,
  ) {
    this.emit = (event, ...args) => {
      if (event === 'message') options.onMessage?.(args[0] as never);
      if (event === 'groupMessage') options.onGroupMessage?.(args[0] as never);
      return m.emit(event, ...args);
    };
  }

  /**
   * §17.4's blocked check, read once per sender and batch: the batch runs in one synchronous IMMEDIATE transaction,
   * so nothing (no other process, no command) can block or unblock anyone between its envelopes.
   */
  blocked(user: string): boolean {
    let b = this.#blocked.get(user);
    if (b === undefined) {
      b = this.m.store.blocked.has(user);
      this.#blocked.set(user, b);
    }
    return b;
  }
}

/**
 * Applies `checked` in order in one transaction; adds to `summary` only once it has committed. `saveSessions` (the
 * batch's, check.ts) writes the v2 sessions the envelopes moved on, in the same transaction, right after them.
 * @throws whatever the store throws; the transaction is then rolled back and nothing may be acknowledged.
 */
export function commitChecked(
  m: ReceiveContext,
  checked: readonly Checked[],
  options: ReceiveOptions,
  summary: ReceiveSummary,
  saveSessions?: () => void,
): Committed {
  const b = new Batch(m, options);
  let queued = false;
  m.store.transaction(() => {
    for (const c of checked) {
      if (apply(b, c)) b.acks.push(c.frame.id);
    }
    // Before the receipts below: they are sealed in these sessions, which must be read as the batch left them.
    saveSessions?.();
    const now = Date.now();
    for (const peer of b.seen) m.store.outbox.setLastSeen(peer, now);
    for (const [peer, ids] of b.delivered) queued = m.enqueueReceipts(peer, MessageKind.delivered, ids) || queued;
    // §24.7: a request goes out once the failed envelopes are acknowledged (acks are sent before the outbox runs).
    // Once per peer and batch, not per message: the drain of a long backlog pays nothing per envelope for recovery.
    for (const peer of b.decrypted) m.store.recovery.answered(peer);
    if (b.awaiting || b.decrypted.size > 0) {
      for (const e of askForResends(m.store, now)) {
        queued = true;
        b.events.push(() => m.emit('recovery', e));
      }
    }
  });
  summary.received += b.counts.received;
  summary.duplicates += b.counts.duplicates;
  summary.held += b.counts.held;
  summary.rejected += b.counts.rejected;
  return { acks: b.acks, events: b.events, queued: queued || b.queued, held: b.held };
}

/** Applies one checked envelope; true if it may be acknowledged. */
function apply(b: Batch, c: Checked): boolean {
  const m = b.m;
  switch (c.outcome) {
    case 'ignored':
      return false;
    case 'duplicate':
      b.counts.duplicates++;
      return true;
    case 'typing':
      if (c.commit) b.decrypted.add(c.from);
      c.commit?.(); // a v2 typing signal spent a message key: the session's state moves on (§24.3 step 8)
      if (b.blocked(c.from)) return false; // §17.4: nothing from a blocked user is shown
      b.seen.add(c.from);
      b.events.push(() => m.emit('typing', { from: c.from, active: c.active }));
      return false;
    case 'held': {
      // §17.4: a blocked sender's envelope is dropped even when its key is not trusted (yet): never held or warned of.
      if (b.blocked(c.from)) return true;
      b.counts.held++;
      b.held.push({ from: c.from, frame: c.frame, reason: c.reason });
      const held = { id: toHex(c.frame.id), from: c.from, reason: c.reason };
      b.events.push(() => m.emit('held', held));
      return false;
    }
    case 'rejected':
      if (c.from !== undefined) b.decrypted.add(c.from);
      c.commit?.();
      if (c.awaitFrom !== undefined && awaitResend(m.store, toHex(c.frame.id), c.awaitFrom, Date.now())) {
        b.awaiting = true;
      }
      return reject(b, c.frame, c.code, c.detail);
    case 'ok':
      if (c.commit) b.decrypted.add(c.opened.from);
      c.commit?.();
      return applyOpened(b, c.frame, c.opened);
    case 'group': {
      // §25.5: decrypted here, in the batch's transaction, so a distribution earlier in this batch is already stored.
      const r = openGroupMessage(m, c.frame, c.msg, Date.now());
      if (r.outcome === 'rejected') {
        if (r.code === 'GROUP_EPOCH_UNKNOWN') {
          // §25.9: the sender's distribution is late, refused or lost; ask it again (bounded, in this transaction).
          if (askForSenderKey(m, c.msg.gid, c.msg.from, c.msg.epoch, Date.now())) b.queued = true;
          // §25.10: kept for the distribution, which opens it (groups/sender-key-receive.ts); else rejected.
          const kept = holdGroupMessage(m, c.frame, c.msg, Date.now());
          if (kept === 'held') return true;
          if (kept === 'duplicate') return apply(b, { outcome: 'duplicate', frame: c.frame });
        }
        return reject(b, c.frame, r.code, r.detail);
      }
      if (r.outcome === 'held')
        return apply(b, { outcome: 'held', frame: c.frame, from: c.msg.from, reason: r.reason });
      if (r.outcome === 'duplicate') {
        b.counts.duplicates++;
        return true;
      }
      return applyOpened(b, c.frame, r.opened);
    }
  }
}

/** §4 step 7 and §4.1 for a verified, stored envelope: its kind's handler (receive/handlers.ts). Always acknowledged. */
function applyOpened(b: Batch, frame: MsgFrame, opened: OpenedEnvelope): boolean {
  const handler = b.m.handlers.get(opened.kind);
  if (!handler) return true; // a stored typing signal, or a kind we do not know: acknowledged, ignored (§4.1)
  const id = toHex(frame.id);
  // §17.4: nothing from a blocked user is stored or shown (so no receipt goes back), but a group state record goes to
  // groups/receive.ts, which applies only a change to a group we accepted (or its membership would fork for us).
  // Acknowledged, so the relay forgets it.
  if (opened.kind !== MessageKind.groupState && b.blocked(opened.from)) return true;
  // §4 step 7: an id seen before a restore from a backup (§13.2) is a redelivery like one in the history.
  if (b.m.store.seen.has(id)) {
    b.counts.duplicates++;
    return true;
  }
  const r = handler({ id, relayTs: frame.ts, opened, later: (e) => b.events.push(e), emit: b.emit });
  if (r.outcome === 'rejected') return reject(b, frame, r.code, r.detail);
  // §24.3 step 8: a v2 envelope (no signature) that left no row of its own (a receipt, an edit) joins the seen ids,
  // so a redelivery is dropped by step 4 even after its ratchet chain is forgotten, instead of failing to decrypt.
  // (Texts and replies always have their row: no lookup for them, the drain's common case.)
  if (opened.signature.length === 0 && !hasHistoryRow(opened.kind) && !b.m.store.v2.committed(id))
    b.m.store.seen.add([id], Date.now());
  if (r.outcome === 'duplicate') b.counts.duplicates++;
  if (r.outcome !== 'new') return true;
  b.counts.received++;
  if (r.receipt) {
    b.seen.add(opened.from);
    const ids = b.delivered.get(opened.from);
    if (ids) ids.push(toHex(frame.id));
    else b.delivered.set(opened.from, [toHex(frame.id)]);
  }
  return true;
}

const hasHistoryRow = (kind: number): boolean => kind === MessageKind.text || kind === MessageKind.reply;

function reject(b: Batch, frame: MsgFrame, code: string, detail: string): boolean {
  const id = toHex(frame.id);
  b.counts.rejected++;
  if (b.m.store.rejected.add({ id, reason: code, relayTs: frame.ts, rejectedAt: Date.now() })) {
    b.events.push(() => b.m.emit('rejected', { id, code, detail }));
  }
  return true;
}
