/**
 * Sends the durable outbox (store/outbox.ts) over a connection: in queue order, each entry checked against the relay's
 * key for its peer (§3.4) and sent as the envelope sealed once for it, under the id it was queued with, and removed
 * only on the relay's `sent` (§9); consecutive receipts to one peer go out together, not one round trip each. A connection
 * failure stops the pass and leaves the rest queued for the next connection; a changed key blocks that peer's
 * entries (they stay queued), and so does blocking a user for every 1:1 entry to them (§17.4); a rate limit
 * (`RATE_LIMITED` with a wait, §10) stops the pass with everything still queued and tries again after the wait the
 * relay named; a permanent refusal marks the message failed.
 */
import {
  MessageKind,
  SENDER_KEY_KIND,
  constantTimeEqual,
  fromHex,
  randomMessageId,
  sealEnvelope,
  toHex,
} from '@chat/crypto';
import { sealGroupCopy } from './group-sender-key.js';
import type { Connection } from '../net/connection.js';
import { sendFanoutFrames } from './fanout.js';
import { TRANSIENT_FANOUT_CODES, stateRecordKeptQueued } from './fanout-codes.js';
import { maySendTo } from '../contacts/contacts.js';
import { ChatError, fromCryptoError } from '../errors.js';
import type { Announce, Lookup, Self } from '../context.js';
import { isDirect } from '../store/blocked.js';
import type { OutboxEntry } from '../store/outbox.js';
import type { Contact, Store } from '../store/store.js';
import type { PlainV2 } from '../v2/envelope.js';
import { currentSession, sealInSession } from '../v2/session.js';
import { sealEntry } from '../v2/seal.js';
import { resendRequestDropped } from '../v2/recovery.js';

/** What sending the outbox needs: our keys, the lookup, the outbox table and events. */
/** The kinds whose outgoing copy has a row in the 1:1 history with a delivery state: texts and replies (§17). */
const hasHistory = (kind: number): boolean => kind === MessageKind.text || kind === MessageKind.reply;

/** Whether `entry` holds its envelope sealed to `key` (issue 12: sealed once; a retry sends those bytes). */
const sealedFor = (entry: OutboxEntry, key: Uint8Array): entry is OutboxEntry & { env: Uint8Array } =>
  entry.env !== undefined && entry.sealedTo !== undefined && constantTimeEqual(entry.sealedTo, key);

/** A delivery or read receipt (§4.1) of its own, not a group copy. */
const isReceipt = (e: OutboxEntry): boolean =>
  e.fanout === undefined && (e.kind === MessageKind.delivered || e.kind === MessageKind.read);

/** Most receipts sent together behind one (each a `send` frame awaiting its `sent`). */
export const RECEIPT_PIPELINE = 64;

/** The receipts right after `entries[i]` in queue order that `ok` accepts, up to the first entry of another kind. */
function followingReceipts(entries: readonly OutboxEntry[], i: number, ok: (e: OutboxEntry) => boolean): OutboxEntry[] {
  const run: OutboxEntry[] = [];
  for (let j = i + 1; j < entries.length && run.length < RECEIPT_PIPELINE; j++) {
    const e = entries[j]!;
    if (!isReceipt(e)) break;
    if (ok(e)) run.push(e);
  }
  return run;
}

export type OutboxContext = Self &
  Lookup &
  Announce & {
    readonly store: Pick<Store, 'outbox' | 'contacts' | 'v2' | 'senderKeys' | 'recovery' | 'transaction' | 'blocked'>;
  };

/** How an entry may be sent when v2 is not available (§24.5). */
export interface SendOptions {
  /** False for a one-shot `chat send` without `--allow-v1`: V2_UNAVAILABLE instead of a v1 envelope. */
  allowV1?: boolean;
}

/**
 * How long a lookup made for the outbox is reused on the same connection: long enough to span the retries of a
 * rate-limited pass, short enough that a key published meanwhile is noticed within seconds (and every new
 * connection looks up afresh).
 */
const LOOKUP_REUSE_MS = 10_000;

/** Errors after which the entry stays queued and the next connection retries it. */
export function isRetryable(err: ChatError): boolean {
  return err.exitCode === 5 || err.code === 'INTERNAL' || err.code === 'SHUTTING_DOWN' || err.code === 'RELAY_PROTOCOL';
}

/**
 * The peer of a room message's entry until it is sent: `room:<name>`, which no username can be. The relay's member
 * list at send time says who gets it (§15.6); then it becomes one entry per member (`expand`).
 */
export const ROOM_PEER = 'room:';

/** Refusals that block a peer's entries until the user accepts its key (§3.4); they stay queued. */
const BLOCKING = new Set(['KEY_CHANGED', 'UNTRUSTED_IDENTITY', 'BUNDLE_INVALID', 'DOWNGRADE_REFUSED']);

/**
 * Whether an entry whose send failed with `err` stays in the outbox for a later pass (`failed`): a connection's error,
 * the relay's rate limit, or a key question the user settles (BLOCKING). Any other refusal drops it there.
 */
export function staysQueued(err: ChatError): boolean {
  return isRetryable(err) || err.code === 'RATE_LIMITED' || BLOCKING.has(err.code);
}

/** Whether a fanout copy the relay answered with `code` stays in the outbox for a later pass (fanout-codes.ts). */
function keptQueued(entry: Pick<OutboxEntry, 'kind'>, code: string): boolean {
  return entry.kind === MessageKind.groupState ? stateRecordKeptQueued(code) : TRANSIENT_FANOUT_CODES.has(code);
}

function stillPinned(now: Contact | undefined, cached: Contact): boolean {
  return (
    maySendTo(now) &&
    Buffer.from(now.identityPublicKey).equals(cached.identityPublicKey) &&
    Buffer.from(now.encryptionPublicKey).equals(cached.encryptionPublicKey)
  );
}

/** Seals `entry` for `contact` (§4). @throws {ChatError} if sealing fails. */
export function sealTo(
  self: Self,
  entry: OutboxEntry,
  contact: Contact,
): OutboxEntry & { env: Uint8Array; sealedTo: Uint8Array } {
  try {
    const env = sealEnvelope(
      { kind: entry.kind, from: self.username, to: entry.peer, id: fromHex(entry.id), ts: entry.ts, body: entry.body },
      self.identity.identity.secretKey,
      contact.encryptionPublicKey,
    );
    return { ...entry, env, sealedTo: contact.encryptionPublicKey };
  } catch (err) {
    throw fromCryptoError(err, 'sealing the message');
  }
}

/**
 * Seals a typing signal (§4.1, ephemeral): in the ratchet if a session with the peer exists (its state written in a
 * transaction of its own, no outbox row), else v1, unless the peer is marked v2 (§24.5): then undefined, since a
 * typing signal never starts a session.
 */
export function sealTyping(
  m: Self & { readonly store: Pick<Store, 'v2' | 'transaction'> },
  entry: OutboxEntry,
  contact: Contact,
): Uint8Array | undefined {
  return m.store.transaction(() => {
    const session = currentSession(m, contact);
    if (session) return sealInSession(m, session, contact, plainOf(entry));
    return m.store.v2.isV2Peer(contact.username) ? undefined : sealTo(m, entry, contact).env;
  });
}

/** The fields v2 encrypts (§24.1) of an outbox entry. */
export function plainOf(entry: OutboxEntry): PlainV2 {
  return { kind: entry.kind, id: fromHex(entry.id), ts: entry.ts, body: entry.body };
}

export class OutboxSender {
  private running: Promise<void> = Promise.resolve();
  /** A pass is under way; set and cleared synchronously, so a flush never joins a pass that has already decided to end. */
  private active = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Rate-limited passes in a row that sent nothing: each doubles the wait the relay named. */
  private limitedInARow = 0;
  private stopped = false;
  /**
   * Peers looked up (and checked, §3.4) on `conn` within the last LOOKUP_REUSE_MS: a pass asks the relay once per peer,
   * and a pass retried after a rate limit does not spend its first request on the same lookup again.
   */
  private looked: { conn: Connection; at: number; contacts: Map<string, Contact> } | undefined;

  /** `retry` starts a pass on the live session of that moment (after a rate limit's wait). */
  constructor(
    private readonly m: OutboxContext,
    private readonly retry: () => void,
  ) {}

  /**
   * Checks `entry`'s peer (§3.4) and returns the envelope to send, sealed once. `looked` holds the peers already
   * looked up on this connection lately (`lookups`), so a pass asks the relay once per peer, not once per entry; an
   * entry is never sealed to a cached key the store no longer pins as sendable. Undefined if the entry is gone.
   * @throws {ChatError}
   */
  private async prepare(
    conn: Connection,
    entry: OutboxEntry,
    looked?: Map<string, Contact>,
    options: SendOptions = {},
  ): Promise<Uint8Array | undefined> {
    const m = this.m;
    let contact = looked?.get(entry.peer);
    // A cached lookup counts only while the pinned contact is still the same key in a sendable state: a key change
    // noticed meanwhile (a held message, another lookup) sends this entry to the relay's lookup again (§3.4).
    if (contact && !stillPinned(m.store.contacts.get(entry.peer), contact)) contact = undefined;
    if (!contact) {
      contact = await m.lookupAndPin(entry.peer, conn);
      looked?.set(entry.peer, contact);
    }
    // Sealed once (issue 12): the bytes stored at enqueue, or at the first attempt, are what every retry sends; the
    // coming Double Ratchet spends a message key per seal. Only when the lookup above returns another key than the
    // entry was sealed to (the peer's key changed and the user accepted the new one) is it sealed again: a new seal
    // for a new key, not a retry. The envelope is stored before it is sent.
    if (sealedFor(entry, contact.encryptionPublicKey)) return entry.env;
    if (entry.groupMsg) {
      // Encrypted once with our sender key (§25.4); only the sealed box is this member's.
      const env = sealGroupCopy(entry.groupMsg, contact.encryptionPublicKey);
      return m.store.outbox.sealed(entry.id, env, contact.encryptionPublicKey) ? env : undefined;
    }
    return sealEntry(m, conn, entry, contact, () => sealTo(m, entry, contact).env, options.allowV1 ?? true);
  }

  /** A 1:1 entry whose peer is blocked now: it stays queued, unsent (§17.4). */
  private heldByBlock(entry: OutboxEntry): boolean {
    return isDirect(entry) && this.m.store.blocked.has(entry.peer);
  }

  /**
   * Sends one entry; on `sent` removes it and moves a text message to `sent`.
   * @throws {ChatError} BLOCKED if it is a 1:1 entry and its peer is blocked by then (it stays queued, §17.4).
   */
  async sendEntry(
    conn: Connection,
    entry: OutboxEntry,
    looked?: Map<string, Contact>,
    options: SendOptions = {},
  ): Promise<void> {
    const m = this.m;
    const env = await this.prepare(conn, entry, looked, options);
    // Both checked again after the lookup's round trip, with nothing awaited between them and the send: the entry may
    // have been withdrawn or sent meanwhile, or its peer blocked (`chat block` in another process, the session's
    // /block, the daemon's `block`).
    if (!env || !m.store.outbox.get(entry.id)) return;
    if (this.heldByBlock(entry)) {
      throw new ChatError('BLOCKED', `you blocked ${entry.peer} while this was being sent: it stays queued, held`, {
        hint: `chat unblock ${entry.peer} sends it`,
      });
    }
    await conn.send(entry.peer, fromHex(entry.id), env);
    m.store.outbox.removeSent(entry.id);
    if (hasHistory(entry.kind) && m.store.outbox.advance(entry.id, entry.peer, 'sent')) {
      m.emit('delivery', { id: entry.id, peer: entry.peer, state: 'sent' });
    }
  }

  /**
   * Sends the entries of one group send together in `fanout` frames (§15.2), each checked and sealed once like any
   * entry. Returns each recipient's code ('' stored). A stored or refused entry leaves the outbox; one whose key may
   * not be used (KEY_CHANGED, …) stays queued, like a 1:1 message, and so does one the relay could not store now.
   * @throws {ChatError} a connection error or a rate limit: everything stays queued.
   */
  async sendFanout(
    conn: Connection,
    entries: readonly OutboxEntry[],
    looked = this.lookups(conn),
  ): Promise<{ to: string; id: string; code: string }[]> {
    const out: { to: string; id: string; code: string }[] = [];
    const ready: { entry: OutboxEntry; env: Uint8Array }[] = [];
    await this.sendDistributions(conn, entries, looked);
    for (const entry of (await Promise.all(entries.map((e) => this.expand(conn, e)))).flat()) {
      try {
        const env = await this.prepare(conn, entry, looked);
        if (env) ready.push({ entry, env });
      } catch (err) {
        if (!(err instanceof ChatError) || isRetryable(err) || err.code === 'RATE_LIMITED') throw err;
        if (!BLOCKING.has(err.code)) this.m.store.outbox.remove(entry.id);
        out.push({ to: entry.peer, id: entry.id, code: err.code });
      }
    }
    const codes = await sendFanoutFrames(
      conn,
      ready.map((r) => ({ to: r.entry.peer, id: fromHex(r.entry.id), env: r.env })),
    );
    // One commit for the whole group send, not one per member.
    this.m.store.transaction(() => {
      ready.forEach(({ entry }, k) => {
        if (!keptQueued(entry, codes[k]!)) this.m.store.outbox.remove(entry.id);
        out.push({ to: entry.peer, id: entry.id, code: codes[k]! });
      });
    });
    return out;
  }

  /**
   * Sends the sender key distributions (§25.3) queued for these entries' peers before the group message itself, so
   * the relay stores each before the message that needs it (§25.6 step 3). A pass usually sent them already (they are
   * queued first). One that cannot be sent for good is dropped (that member rejects the epoch's messages as
   * GROUP_EPOCH_UNKNOWN); one whose peer is blocked stays queued, and so does the group copy (the same check).
   * @throws {ChatError} a connection error or a rate limit: everything stays queued.
   */
  private async sendDistributions(
    conn: Connection,
    entries: readonly OutboxEntry[],
    looked: Map<string, Contact>,
  ): Promise<void> {
    const peers = new Set(entries.map((e) => e.peer));
    for (const d of this.m.store.outbox.list()) {
      if (d.kind !== SENDER_KEY_KIND || !peers.has(d.peer)) continue;
      try {
        await this.sendEntry(conn, d, looked);
      } catch (err) {
        if (!(err instanceof ChatError) || isRetryable(err) || err.code === 'RATE_LIMITED') throw err;
        if (!BLOCKING.has(err.code)) this.dropDistribution(d);
      }
    }
  }

  /** Drops a distribution refused for good; its member is given the epoch again with the next group message (§25.6). */
  private dropDistribution(d: OutboxEntry): void {
    this.m.store.transaction(() => {
      this.m.store.senderKeys.forgetGiven(toHex(d.body.subarray(0, 16)), d.peer);
      this.m.store.outbox.remove(d.id);
    });
  }

  /**
   * A room message's entry (`ROOM_PEER`) as one entry per member the relay lists now, ourselves excluded, each sealed
   * if its key is pinned; they replace it in the outbox before anything is sent. Any other entry as it is.
   */
  private async expand(conn: Connection, entry: OutboxEntry): Promise<OutboxEntry[]> {
    if (!entry.peer.startsWith(ROOM_PEER)) return [entry];
    const members = await conn.room('members', entry.peer.slice(ROOM_PEER.length));
    const copies = members
      .filter((u) => u !== this.m.username)
      .map((peer) => ({ ...entry, id: toHex(randomMessageId()), peer }));
    return this.m.store.outbox.replace(entry.id, copies) ? copies : [];
  }

  /**
   * Sends everything queued over `conn`. Concurrent calls share one pass (and trigger one more if something was
   * queued meanwhile). Rejects with the connection error that stopped the pass.
   */
  flush(conn: Connection): Promise<void> {
    if (this.active) {
      this.again = true;
      return this.running;
    }
    this.active = true;
    this.running = this.pass(conn);
    return this.running;
  }

  private async pass(conn: Connection): Promise<void> {
    try {
      const m = this.m;
      do {
        this.again = false;
        const blocked = new Set<string>();
        const looked = this.lookups(conn);
        const entries = m.store.outbox.list();
        const done = new Set<string>();
        for (const [i, entry] of entries.entries()) {
          if (blocked.has(entry.peer) || done.has(entry.id)) continue;
          // Held while its peer is blocked (§17.4): not looked up, not sent; it goes once they are unblocked.
          if (this.heldByBlock(entry)) continue;
          // Gone since the pass began: an expired message's entries are dropped by the sweep (§17.5), never sent.
          if (!m.store.outbox.get(entry.id)) continue;
          try {
            if (entry.fanout === undefined) await this.sendEntry(conn, entry, looked);
            else {
              const group = entries.filter(
                (e) => e.fanout === entry.fanout && !blocked.has(e.peer) && m.store.outbox.get(e.id) !== undefined,
              );
              for (const e of group) done.add(e.id);
              for (const r of await this.sendFanout(conn, group, looked)) {
                if (BLOCKING.has(r.code) && !blocked.has(r.to)) {
                  blocked.add(r.to);
                  m.emit('blocked', { peer: r.to, reason: r.code as 'KEY_CHANGED' });
                }
              }
            }
            this.limitedInARow = 0;
          } catch (err) {
            if (this.failed(entry, err, blocked) === 'stop') return;
            continue;
          }
          // The receipts to the same peer queued right behind a receipt that went out go together: each is its own
          // envelope, independent of the others' order (states only move forward, §4.1), so they need not wait a
          // round trip each (a drain's last receipts took ~0.1 s one after the other). Only those already sealed to
          // the key the first was just checked against: they only send (`prepare` returns their stored bytes). Any
          // other (unsealed, or sealed to another key) goes the one-at-a-time way, so a key change or a first
          // session is looked up, or its prekeys fetched, once (review rev8, O1).
          if (!isReceipt(entry)) continue;
          const key = looked.get(entry.peer)?.encryptionPublicKey;
          if (key === undefined) continue;
          const run = followingReceipts(
            entries,
            i,
            (e) =>
              e.peer === entry.peer && !done.has(e.id) && sealedFor(e, key) && m.store.outbox.get(e.id) !== undefined,
          );
          for (const e of run) done.add(e.id);
          const results = await Promise.allSettled(run.map((e) => this.sendEntry(conn, e, looked)));
          for (const [k, r] of results.entries()) {
            if (r.status === 'rejected' && this.failed(run[k]!, r.reason, blocked) === 'stop') return;
          }
        }
      } while (this.again);
    } finally {
      // Runs in the same turn as the last `again` check above (no await in between), so an entry queued after that
      // check finds no pass active and starts its own: nothing queued waits for a pass that has already ended.
      this.active = false;
    }
  }

  /**
   * What a pass does with an entry that could not be sent: a connection error (or anything not a ChatError) is thrown,
   * ending the pass; a rate limit with a wait stops it (everything stays queued) and tries again later; a changed key
   * blocks the peer's later entries; a permanent refusal drops the entry and marks its message failed.
   */
  private failed(entry: OutboxEntry, err: unknown, blocked: Set<string>): 'stop' | 'next' {
    const m = this.m;
    if (!(err instanceof ChatError)) throw err;
    if (isRetryable(err)) throw err;
    if (err.code === 'RATE_LIMITED' && err.retryAfterMs !== undefined) {
      // The user's request bucket is empty for every entry, not only this one: stop, keep all queued, and go
      // on once the relay says a request will fit (on the live connection of that moment, if any).
      this.retryAfter(Math.min(60_000, err.retryAfterMs * 2 ** Math.min(this.limitedInARow++, 8)));
      return 'stop';
    }
    if (BLOCKING.has(err.code)) {
      if (!blocked.has(entry.peer)) m.emit('blocked', { peer: entry.peer, reason: err.code as 'KEY_CHANGED' });
      blocked.add(entry.peer);
      return 'next';
    }
    // We blocked the peer while this pass ran (sendEntry's last check): held, like the pass's own check above.
    if (err.code === 'BLOCKED') return 'next';
    // A refusal that retrying will not fix (UNKNOWN_USER, MAILBOX_FULL, ENVELOPE_TOO_LARGE, …).
    if (entry.kind === SENDER_KEY_KIND) this.dropDistribution(entry);
    // §24.7: a dropped resend request asked nothing; left open, it would stop every later request to the peer.
    if (entry.kind === MessageKind.resendRequest) resendRequestDropped(m.store, entry.peer, entry.body);
    m.store.outbox.remove(entry.id);
    if (m.store.outbox.advance(entry.id, entry.peer, 'failed')) {
      m.emit('delivery', { id: entry.id, peer: entry.peer, state: 'failed', error: err.code });
    }
    return 'next';
  }

  /** This pass's lookup cache: the previous one if it is for the same connection and recent, else a fresh one. */
  private lookups(conn: Connection): Map<string, Contact> {
    const now = Date.now();
    if (!this.looked || this.looked.conn !== conn || now - this.looked.at > LOOKUP_REUSE_MS) {
      this.looked = { conn, at: now, contacts: new Map() };
    }
    return this.looked.contacts;
  }

  /** Kicks the outbox again after `ms` (at least 50 ms); one timer at a time; never keeps the process alive. */
  private retryAfter(ms: number): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.retry();
      },
      Math.max(50, ms),
    );
    this.retryTimer.unref();
  }

  /** Cancels a pending retry and any later one (the messenger is closing). */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
