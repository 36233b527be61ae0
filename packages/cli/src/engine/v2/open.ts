/**
 * Opening v2 envelopes (PROTOCOL.md §24.3) for one receive batch: the outer sealed box, the sender's sessions tried in
 * order (or a new one from a PQXDH initiation, §19.4), the padded plaintext. The batch decrypts its envelopes in
 * delivery order against working copies of the sessions, each moved on in place (`ratchetDecryptInPlace`); each result
 * carries a `commit`, run in the receiver's transaction beside the history row, that marks its session for
 * `saveSessions` to write once per batch. A batch whose transaction rolls back leaves the database as it was, and its
 * opener, with its working copies, is dropped with it.
 */
import {
  CryptoError,
  PrekeyType,
  constantTimeEqual,
  decodeInitiation,
  deserializeRatchetState,
  openSealed,
  pqxdhReplayKey,
  pqxdhRespond,
  ratchetDecryptInPlace,
  ratchetInitResponder,
  serializeRatchetState,
  type RatchetState,
} from '@chat/crypto';
import type { Contact } from '../store/types.js';
import type { SessionRow } from '../store/v2.js';
import { ENVELOPE_V2, type InnerV2, type PlainV2, V2Rejection, parseInnerV2, parsePlainV2 } from './envelope.js';
import { keyPairOf } from './prekeys.js';
import { type SessionContext, partyOf, wipe, wipeState } from './session.js';

export type V2Opened =
  | { outcome: 'ok'; plain: PlainV2; commit: () => void }
  | { outcome: 'duplicate' }
  | { outcome: 'rejected'; code: string; detail: string; commit?: () => void };

type Decrypted =
  | { outcome: 'ok'; plain: PlainV2; commit: () => void }
  | { outcome: 'rejected'; code: string; detail: string; commit: () => void };

/** A session as this batch sees it: the stored row and the state after the batch's envelopes so far. */
interface Work {
  row: SessionRow;
  state: RatchetState;
}

/** True for a v2 envelope (§24.1): its version byte. */
export const isV2Envelope = (env: Uint8Array): boolean => env[0] === ENVELOPE_V2;

/**
 * §24.3 steps 1–3: opens the sealed box (unless the unseal pool has: `opened`, its inner bytes) and parses the sender
 * and type. The inner bytes are wiped either way. `openBox`: a batch's `sealedBoxOpener` of our encryption key pair
 * (its secret key imported once per batch rather than looked up per envelope).
 * @throws {V2Rejection} ENVELOPE_OPEN_FAILED / ENVELOPE_MALFORMED.
 */
export function unsealV2(
  m: SessionContext,
  env: Uint8Array,
  opened?: Uint8Array,
  openBox?: (sealed: Uint8Array) => Uint8Array,
): InnerV2 {
  let inner: Uint8Array;
  if (opened) inner = opened;
  else {
    try {
      const { publicKey, secretKey } = m.identity.encryption;
      inner = openBox ? openBox(env.subarray(1)) : openSealed(env.subarray(1), publicKey, secretKey);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      throw new V2Rejection('ENVELOPE_OPEN_FAILED', 'envelope does not open with this encryption key');
    }
  }
  try {
    return parseInnerV2(inner);
  } finally {
    wipe(inner);
  }
}

/**
 * A session this batch read was written by someone else before the batch committed (the outbox sealed a message in
 * it while the batch awaited a lookup): writing the batch's copy would roll its sending chain back and reuse a
 * message key. The batch's transaction rolls back; its envelopes, not acknowledged, are checked again.
 */
export class SessionsChanged extends Error {
  constructor(readonly peer: string) {
    super(`the v2 session with ${peer} changed while a receive batch held a copy of it`);
    this.name = 'SessionsChanged';
  }
}

export class V2Opener {
  private readonly works = new Map<string, Work[]>();
  /** Replay keys of initiations this batch accepted (not committed yet). */
  private readonly replays = new Set<string>();
  /** Peers marked v2 (§24.5) by a commit of this batch. */
  private readonly marked = new Set<string>();
  /** Sessions a commit of this batch moved on: their state is written by `saveSessions`. */
  private readonly dirty = new Set<Work>();

  constructor(private readonly m: SessionContext) {}

  /**
   * §24.3 step 6–7 for an envelope from `contact` (pinned, usable) delivered under `frameId`. Never throws for
   * anything the envelope's sender controls.
   */
  open(inner: InnerV2, contact: Contact, frameId: Uint8Array, now: number): V2Opened {
    try {
      return inner.initiation ? this.respond(inner, contact, frameId, now) : this.tryAll(inner, contact, frameId, now);
    } catch (err) {
      if (err instanceof V2Rejection || err instanceof CryptoError) {
        if (err.code === 'RATCHET_DUPLICATE') return { outcome: 'duplicate' };
        return { outcome: 'rejected', code: err.code, detail: err.message };
      }
      throw err;
    }
  }

  /**
   * Writes the state of every session a commit of this batch moved on, once each, as it is after the batch's last
   * envelope in it: run in the batch's transaction after the commits (and before anything that seals in a session,
   * such as the delivery receipts), so the session rows and the history rows still commit together. Serialising and
   * writing the state once per session instead of once per envelope was ~10% of a long drain's CPU. The one
   * difference from a write per envelope: a session's last envelope in the batch may be one whose own commit did not
   * run (an ephemeral envelope that is not a typing signal, §4.1, ignored): its key is then spent in the stored state
   * too, which is what forward secrecy wants anyway (the relay never stores an ephemeral envelope to deliver it again).
   * @throws {SessionsChanged} if a session was written by another writer since this batch read it (the caller's
   *   transaction must roll back).
   */
  saveSessions(): void {
    const v2 = this.m.store.v2;
    for (const w of this.dirty) {
      const state = serializeRatchetState(w.state);
      const row = { ...w.row, state };
      if (row.sid === undefined) w.row.sid = v2.saveSession(row);
      // Written only over the state this batch read (compare and swap): see SessionsChanged.
      else if (!v2.replaceSession({ ...row, sid: row.sid }, w.row.state)) throw new SessionsChanged(w.row.peer);
      w.row.state = state;
    }
    this.dirty.clear();
  }

  private sessions(peer: string): Work[] {
    let list = this.works.get(peer);
    if (!list) {
      list = this.m.store.v2.sessions(peer).map((row) => ({ row, state: deserializeRatchetState(row.state) }));
      this.works.set(peer, list);
    }
    return list;
  }

  private tryAll(inner: InnerV2, contact: Contact, frameId: Uint8Array, now: number): V2Opened {
    const list = this.sessions(contact.username);
    if (list.length === 0) throw new V2Rejection('NO_SESSION', `no session with ${contact.username} to decrypt it in`);
    let duplicate = false;
    let last: unknown;
    for (const w of list) {
      try {
        return this.decryptIn(w, inner.payload, frameId, now);
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        if (err.code === 'RATCHET_DUPLICATE') duplicate = true;
        last = err;
      }
    }
    if (duplicate) return { outcome: 'duplicate' };
    throw last;
  }

  private respond(inner: InnerV2, contact: Contact, frameId: Uint8Array, now: number): V2Opened {
    const { initiation, rest } = decodeInitiation(inner.payload);
    const key = pqxdhReplayKey(initiation);
    const list = this.sessions(contact.username);
    const started = list.find((w) => w.row.replayKey === key);
    // The initiator repeats its initiation until it hears back (§19.6): a later message of the same session.
    if (started) return this.decryptIn(started, rest, frameId, now);
    if (this.replays.has(key) || this.m.store.v2.hasReplay(key)) {
      throw new V2Rejection('PQXDH_REPLAY', 'this first message was already received (replay)');
    }
    const v2 = this.m.store.v2;
    const spk = v2.prekey(PrekeyType.x25519Signed, initiation.signedPrekeyId);
    const opk =
      initiation.oneTimePrekeyId === undefined
        ? undefined
        : v2.prekey(PrekeyType.x25519OneTime, initiation.oneTimePrekeyId);
    const pq = v2.prekey(initiation.pqPrekeyType, initiation.pqPrekeyId);
    if (!spk || !pq || (initiation.oneTimePrekeyId !== undefined && !opk)) {
      throw new V2Rejection('PREKEY_UNKNOWN', 'it names a prekey this profile no longer holds');
    }
    const signedPrekey = { publicKey: spk.publicKey, secretKey: spk.secret };
    const { sharedSecret, associatedData } = pqxdhRespond(
      this.m.identity,
      this.m.username,
      partyOf(contact),
      initiation,
      {
        signedPrekey,
        pqPrekey: keyPairOf(pq),
        ...(opk ? { oneTimePrekey: { publicKey: opk.publicKey, secretKey: opk.secret } } : {}),
      },
    );
    const state = ratchetInitResponder(sharedSecret, associatedData, signedPrekey);
    wipe(sharedSecret);
    const w: Work = {
      row: { peer: contact.username, state: new Uint8Array(0), initiation: null, replayKey: key, usedAt: now },
      state,
    };
    let opened: Decrypted;
    try {
      opened = this.decryptIn(w, rest, frameId, now);
    } catch (err) {
      wipeState(state); // a first message that does not open leaves no secret of the session it would have started
      throw err;
    }
    // Only a message that decrypted starts a session, records its replay key and burns one-time keys (§19.4 step 6).
    list.unshift(w);
    this.replays.add(key);
    const commitState = opened.commit;
    const commit = (): void => {
      commitState();
      v2.addReplay(key, now);
      if (opk) v2.erasePrekey(PrekeyType.x25519OneTime, opk.keyId);
      if (pq.type === PrekeyType.mlkemOneTime) v2.erasePrekey(pq.type, pq.keyId);
    };
    return { ...opened, commit };
  }

  /**
   * Decrypts in `w`; on success `w` holds the new state and is the peer's most recent session. `w.state` is this
   * batch's own copy (read from the row, or new), so it is moved on in place: no copy of the state per message.
   * @throws {CryptoError} the ratchet's error (the state of `w` unchanged).
   */
  private decryptIn(w: Work, message: Uint8Array, frameId: Uint8Array, now: number): Decrypted {
    const plaintext = ratchetDecryptInPlace(w.state, message);
    const list = this.works.get(w.row.peer);
    if (list?.includes(w)) {
      list.splice(list.indexOf(w), 1);
      list.unshift(w);
    }
    // A message from the peer in a session we initiated answers it: no more initiation on what we send (§24.1).
    w.row.initiation = null;
    w.row.usedAt = now;
    const v2 = this.m.store.v2;
    const commit = (): void => {
      // The state itself is written once per session and batch, by `saveSessions`, in the same transaction.
      this.dirty.add(w);
      // Once per peer and batch: the commits run in the batch's one transaction (a rollback drops this opener too).
      if (!this.marked.has(w.row.peer)) {
        v2.markV2Peer(w.row.peer, now);
        this.marked.add(w.row.peer);
      }
    };
    let plain: PlainV2;
    try {
      plain = parsePlainV2(plaintext);
    } catch (err) {
      if (err instanceof V2Rejection) return { outcome: 'rejected', code: err.code, detail: err.message, commit };
      throw err;
    } finally {
      wipe(plaintext);
    }
    if (!constantTimeEqual(plain.id, frameId)) {
      const detail = 'envelope id differs from the id it was delivered under';
      return { outcome: 'rejected', code: 'ENVELOPE_ID_MISMATCH', detail, commit };
    }
    return { outcome: 'ok', plain, commit };
  }
}
