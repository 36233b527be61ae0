/**
 * Double Ratchet sessions with our peers (PROTOCOL.md §24): starting one from a fetched prekey bundle (PQXDH, §19.2),
 * sealing a message in the current one (§24.2), and, on the receiving side, opening a v2 envelope in order against
 * the sessions of one receive batch (§24.3). Every state change is written by the caller's transaction together with
 * the outbox row (send) or the history row (receive): sealing writes in the transaction it is called in, opening
 * returns a `commit` for the receiver's.
 */
import {
  CryptoError,
  MAX_BODY_BYTES,
  messageBodyProblem,
  SENDER_KEY_DISTRIBUTION_BYTES,
  SENDER_KEY_KIND,
  SENDER_KEY_REQUEST_BYTES,
  SENDER_KEY_REQUEST_KIND,
  type PqxdhParty,
  type PrekeyBundle,
  type RatchetState,
  deserializeRatchetState,
  encodeInitiation,
  pqxdhInitiate,
  pqxdhReplayKey,
  ratchetEncrypt,
  ratchetInitInitiator,
  seal,
  serializeRatchetState,
  wipeRatchetState,
} from '@chat/crypto';
import type { Self } from '../context.js';
import type { Contact } from '../store/types.js';
import type { SessionRow, V2Table } from '../store/v2.js';
import { ENVELOPE_V2, encodeInnerV2, encodePlainV2, type PlainV2 } from './envelope.js';

/** What sessions need: who we are and the v2 tables. */
export type SessionContext = Self & { readonly store: { readonly v2: V2Table } };

/** A contact's public keys as PQXDH names them (§19.3). */
export function partyOf(c: Contact): PqxdhParty {
  return {
    username: c.username,
    identityPublicKey: c.identityPublicKey,
    encryptionPublicKey: c.encryptionPublicKey,
  };
}

/** True if the session's associated data (§19.3) names `c`'s current keys: a session under an older key is stale. */
export function sessionFits(state: RatchetState, c: Contact): boolean {
  const ad = Buffer.from(state.associatedData);
  return ad.includes(Buffer.from(c.identityPublicKey)) && ad.includes(Buffer.from(c.encryptionPublicKey));
}

/** The session new messages to `contact` go out in: the most recently used one that fits its keys, if any. */
export function currentSession(m: SessionContext, contact: Contact): SessionRow | undefined {
  for (const row of m.store.v2.sessions(contact.username)) {
    const state = deserializeRatchetState(row.state);
    const fits = sessionFits(state, contact) && state.sendingChainKey !== null;
    wipeState(state);
    if (fits) return row;
  }
  return undefined;
}

/**
 * Starts a session with `contact` from its checked-here prekey bundle (§19.2, §18.3 against the pinned keys) and
 * stores it, initiation kept for every message until the peer answers. Call inside a transaction.
 * @throws {CryptoError} PREKEY_INVALID / PREKEY_BAD_SIGNATURE / KEM_INVALID / LOW_ORDER_POINT.
 */
export function startSession(m: SessionContext, contact: Contact, bundle: PrekeyBundle, now: number): SessionRow {
  const { sharedSecret, associatedData, initiation } = pqxdhInitiate(m.identity, m.username, partyOf(contact), bundle);
  try {
    const state = ratchetInitInitiator(sharedSecret, associatedData, bundle.signedPrekey.publicKey);
    const row: SessionRow = {
      peer: contact.username,
      state: serializeRatchetState(state),
      initiation: encodeInitiation(initiation),
      replayKey: pqxdhReplayKey(initiation),
      usedAt: now,
    };
    wipeState(state);
    row.sid = m.store.v2.saveSession(row);
    return row;
  } finally {
    wipe(sharedSecret);
  }
}

/**
 * Encrypts `plain` in `session` and seals the envelope to `contact` (§24.1, §24.2 step 3); stores the advanced state.
 * Call inside the transaction that stores the envelope in the outbox.
 */
export function sealInSession(m: SessionContext, session: SessionRow, contact: Contact, plain: PlainV2): Uint8Array {
  // The sender's checks of §4.1 that v1's encoder makes: the kind's body rules and the 60,000-byte limit.
  // A sender key distribution (§25.3) is v2-only, so not a kind of §4.1: its one rule is its length.
  const problem =
    plain.kind === SENDER_KEY_KIND
      ? plain.body.length === SENDER_KEY_DISTRIBUTION_BYTES
        ? undefined
        : 'a sender key distribution is 100 bytes'
      : plain.kind === SENDER_KEY_REQUEST_KIND
        ? plain.body.length === SENDER_KEY_REQUEST_BYTES
          ? undefined
          : 'a sender key request is 32 bytes'
        : messageBodyProblem(plain.kind, plain.body);
  if (problem !== undefined) throw new RangeError(`sealInSession: ${problem}`);
  if (plain.body.length > MAX_BODY_BYTES) {
    throw new CryptoError(
      'BODY_TOO_LARGE',
      `message body is ${plain.body.length} bytes; the limit is ${MAX_BODY_BYTES}`,
    );
  }
  const state = deserializeRatchetState(session.state);
  const padded = encodePlainV2(plain);
  const { state: next, message } = ratchetEncrypt(state, padded);
  wipe(padded);
  wipeState(state);
  const inner = encodeInnerV2(m.username, session.initiation, message);
  const sealed = seal(inner, contact.encryptionPublicKey);
  wipe(inner);
  session.state = serializeRatchetState(next);
  wipeState(next);
  m.store.v2.saveSession(session);
  const env = new Uint8Array(1 + sealed.length);
  env[0] = ENVELOPE_V2;
  env.set(sealed, 1);
  return env;
}

/** Wipes a deserialised state's secrets (the serialised copy is what the database keeps). */
export const wipeState = wipeRatchetState;

/** Overwrites secrets with zeros. */
export function wipe(...bs: Uint8Array[]): void {
  for (const b of bs) b.fill(0);
}
