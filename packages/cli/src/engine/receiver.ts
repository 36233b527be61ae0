/**
 * One receiving session (§9): envelopes are handled strictly in delivery order, each opened and checked as §4
 * prescribes, committed to history, and only then acknowledged. Held envelopes (changed sender key) are not
 * acknowledged and stay on the relay.
 */
import { handleFileEnvelope } from './files/incoming.js';
import { CryptoError, MessageKind, fromUtf8, openEnvelope, toHex, verifyEnvelopeSignature, type OpenedEnvelope } from '@chat/crypto';
import type { MsgFrame } from '@chat/protocol';
import type { Connection } from './connection.js';
import { ChatError, isEnvelopeErrorCode } from './errors.js';
import type { HeldMessage, Messenger, ReceivedMessage } from './messenger.js';
import { fetchBundle, sameKeys } from './trust.js';
import { applyGroupEnvelope, isGroupKind, type GroupMessage } from './groups/receive.js';

export interface ReceiveOptions {
  /** Keep listening after `synced` until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Called for each new message, after it is committed (the `message` event carries the same). */
  onMessage?: (message: ReceivedMessage) => void;
  /** Called for each new group or room message and membership event (§15), after it is committed. */
  onGroupMessage?: (message: GroupMessage) => void;
}

export interface ReceiveSummary {
  /** New messages shown. */
  received: number;
  /** Redelivered ids already in history: acknowledged, not shown again (§4 step 7). */
  duplicates: number;
  held: number;
  rejected: number;
}

type Verdict = { kind: 'ok' } | { kind: 'held'; reason: HeldMessage['reason'] } | { kind: 'rejected'; code: string; detail: string };

export async function receive(m: Messenger, options: ReceiveOptions): Promise<ReceiveSummary> {
  const { follow = false, signal } = options;
  if (signal?.aborted) return { received: 0, duplicates: 0, held: 0, rejected: 0 };
  m.emit('status', 'connecting');
  const conn = await m.connect('recv');
  m.recvConnection = conn;
  m.emit('status', 'online');
  // The outbox goes out on every (re)connect; a failure here is the connection's, which `close` reports.
  m.flushOutbox(conn).catch(() => {});
  const summary: ReceiveSummary = { received: 0, duplicates: 0, held: 0, rejected: 0 };
  const queue: (MsgFrame | null)[] = [];
  const acks: Uint8Array[] = [];
  let draining = false;
  let done = false;

  return new Promise<ReceiveSummary>((resolve, reject) => {
    /** Stops once: acknowledges what is committed, waits for the relay to have handled it (`pong`), closes. */
    const finish = async (err?: unknown): Promise<void> => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (m.recvConnection === conn) m.recvConnection = undefined;
      try {
        // Acknowledge what is committed even when stopping on an error, if the connection still lives.
        flush();
        // Receipts queued while draining (and anything else waiting) go out before we leave.
        if (!err) await m.flushOutbox(conn);
        if (!err) await conn.ping();
      } catch (e) {
        err ??= e;
      }
      await conn.close();
      m.emit('status', 'offline');
      if (err) reject(err);
      else resolve(summary);
    };
    const flush = (): void => {
      if (acks.length > 0) conn.ack(acks.splice(0));
    };
    const drain = async (): Promise<void> => {
      if (draining) return;
      draining = true;
      try {
        while (!done && !signal?.aborted && queue.length > 0) {
          const frame = queue.shift() ?? null;
          if (frame === null) {
            flush();
            m.emit('synced');
            if (!follow) await finish();
            continue;
          }
          if (await handle(m, conn, frame, summary, options)) acks.push(frame.id);
          if (queue.length === 0 || acks.length >= 256) flush();
        }
      } catch (err) {
        await finish(err);
      } finally {
        draining = false;
      }
      if (!done && signal?.aborted) await finish();
    };
    const onAbort = (): void => {
      if (!draining) void finish();
    };
    signal?.addEventListener('abort', onAbort);
    conn.on('msg', (frame) => {
      queue.push(frame);
      void drain();
    });
    conn.on('synced', () => {
      queue.push(null);
      void drain();
    });
    conn.on('close', (err) => {
      if (!done) void finish(err ?? new ChatError('CONNECTION_LOST', `the relay at ${conn.address} closed the connection`));
    });
    conn.resume();
  });
}

/** Handles one envelope; true if it may be acknowledged (committed, duplicate, or rejected). */
async function handle(m: Messenger, conn: Connection, frame: MsgFrame, summary: ReceiveSummary, options: ReceiveOptions): Promise<boolean> {
  const id = toHex(frame.id);
  // An ephemeral envelope (§9) was never stored: it is never acknowledged, recorded or counted, whatever happens.
  const eph = frame.eph === true;
  let opened: OpenedEnvelope;
  try {
    // §4 steps 1–5: length and version, open, parse, addressed to us, id as delivered.
    opened = openEnvelope(frame.env, { username: m.username, encryption: m.identity.encryption }, frame.id);
  } catch (err) {
    if (err instanceof CryptoError) return eph ? false : reject(m, frame, summary, err.code, err.message);
    throw err;
  }
  const verdict = await checkSender(m, conn, opened);
  if (eph) {
    // §4.1: only `typing` travels ephemerally; anything else marked eph is ignored.
    if (verdict.kind === 'ok' && opened.kind === MessageKind.typing) {
      m.store.outbox.setLastSeen(opened.from, Date.now());
      m.emit('typing', { from: opened.from, active: opened.body[0] === 1 });
    }
    return false;
  }
  if (verdict.kind === 'rejected') return reject(m, frame, summary, verdict.code, verdict.detail);
  if (verdict.kind === 'held') {
    summary.held++;
    m.emit('held', { id, from: opened.from, reason: verdict.reason });
    return false;
  }
  if (opened.kind === MessageKind.delivered || opened.kind === MessageKind.read) {
    applyReceipt(m, opened);
    return true;
  }
  if (isGroupKind(opened.kind)) {
    const r = applyGroupEnvelope(m, id, opened, frame.ts);
    if (r.outcome === 'rejected') return reject(m, frame, summary, r.code, r.detail);
    if (r.outcome === 'duplicate') summary.duplicates++;
    else {
      summary.received++;
      options.onGroupMessage?.(r.message);
      m.emit('groupMessage', r.message);
    }
    return true;
  }
  if (handleFileEnvelope(m, opened)) return true; // file offer / answer (§16.3)
  if (opened.kind !== MessageKind.text) return true; // a stored typing signal: acknowledged, ignored (§4.1)
  // §4 step 7: INSERT OR IGNORE on the id; a redelivery is acknowledged again but not shown.
  const body = fromUtf8(opened.body);
  const fromSelf = opened.from === m.username;
  const isNew = m.store.addMessage({
    id, peer: opened.from, direction: 'in', body, ts: opened.ts, relayTs: frame.ts, receivedAt: Date.now(), state: fromSelf ? 'read' : 'unread',
  });
  if (!isNew) {
    summary.duplicates++;
    return true;
  }
  m.store.outbox.setLastSeen(opened.from, Date.now());
  m.queueReceipt(opened.from, MessageKind.delivered, [id]);
  summary.received++;
  const message: ReceivedMessage = { id, from: opened.from, to: opened.to, body, ts: opened.ts, relayTs: frame.ts };
  options.onMessage?.(message);
  m.emit('message', message);
  return true;
}

/** §4.1: moves our own messages to the receipt's sender forward to delivered / read; other ids are ignored. */
function applyReceipt(m: Messenger, opened: OpenedEnvelope): void {
  const state = opened.kind === MessageKind.read ? 'read' : 'delivered';
  for (let at = 0; at < opened.body.length; at += 16) {
    const msgId = toHex(opened.body.subarray(at, at + 16));
    if (m.store.outbox.advance(msgId, opened.from, state)) m.emit('delivery', { id: msgId, peer: opened.from, state });
  }
}

function reject(m: Messenger, frame: MsgFrame, summary: ReceiveSummary, code: string, detail: string): boolean {
  const id = toHex(frame.id);
  summary.rejected++;
  if (m.store.addRejected({ id, reason: code, relayTs: frame.ts, rejectedAt: Date.now() })) {
    m.emit('rejected', { id, code, detail });
  }
  return true;
}

/**
 * §4 step 6 with §3.4: verify under the pinned key, pinning an unknown sender first. A signature that fails under
 * the pinned key but verifies under the relay's current, different bundle is a changed key: held, not shown.
 */
async function checkSender(m: Messenger, conn: Connection, opened: OpenedEnvelope): Promise<Verdict> {
  const from = opened.from;
  let contact = m.store.getContact(from);
  if (!contact) {
    try {
      contact = (await m.lookupContact(from, conn)).contact;
    } catch (err) {
      if (err instanceof ChatError && err.code === 'UNKNOWN_USER') {
        return { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: `the sender ${from} is not registered on the relay` };
      }
      if (err instanceof ChatError && err.code === 'BUNDLE_INVALID') return { kind: 'held', reason: 'BUNDLE_INVALID' };
      throw err;
    }
  }
  if (contact.trust === 'untrusted') {
    // trust-new-identities never: even a good signature waits until the user accepts the key.
    if (verifies(opened, contact.identityPublicKey)) return { kind: 'held', reason: 'UNTRUSTED_IDENTITY' };
    return { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'the signature does not verify' };
  }
  if (verifies(opened, contact.identityPublicKey)) return { kind: 'ok' };
  let current;
  try {
    current = await fetchBundle(conn, from);
  } catch (err) {
    if (err instanceof ChatError && (err.code === 'UNKNOWN_USER' || err.code === 'BUNDLE_INVALID')) {
      return { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'the signature does not verify' };
    }
    throw err;
  }
  if (!sameKeys(contact, current) && verifies(opened, current.idpk)) {
    // Signed by the relay's new key for the sender: held (and the contact marked changed) unless the policy is `always`.
    const r = await m.lookupContact(from, conn);
    if (r.outcome === 'accepted-new' && verifies(opened, r.contact.identityPublicKey)) return { kind: 'ok' };
    return { kind: 'held', reason: 'KEY_CHANGED' };
  }
  return { kind: 'rejected', code: 'ENVELOPE_BAD_SIGNATURE', detail: 'the signature does not verify' };
}

function verifies(opened: OpenedEnvelope, identityPublicKey: Uint8Array): boolean {
  try {
    verifyEnvelopeSignature(opened, identityPublicKey);
    return true;
  } catch (err) {
    if (err instanceof CryptoError && isEnvelopeErrorCode(err.code)) return false;
    throw err;
  }
}
