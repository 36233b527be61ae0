/**
 * Sealing an outbox entry for its first send (PROTOCOL.md §24.2): in the peer's current session; else in a new one
 * from a fetched prekey bundle (PQXDH); else v1, unless the peer is marked v2 (no downgrade, §24.5) or the caller
 * refuses v1 (a one-shot `chat send`). The ratchet state and the outbox row's envelope are written in one
 * transaction, so a retry resends the same bytes and a message key is spent once.
 */
import {
  CryptoError,
  MessageKind,
  SENDER_KEY_KIND,
  SENDER_KEY_REQUEST_KIND,
  type PrekeyBundle,
  loadMlkem,
} from '@chat/crypto';
import type { Self } from '../context.js';
import { ChatError, fromCryptoError } from '../errors.js';
import type { OutboxEntry } from '../store/outbox.js';
import type { Contact, Store } from '../store/store.js';
import { type PrekeyConnection, fetchPrekeys } from './fetch.js';
import { currentSession, sealInSession, startSession } from './session.js';

export type SealContext = Self & { readonly store: Pick<Store, 'v2' | 'outbox' | 'transaction'> };

/** Thrown inside the transaction when the entry left the outbox meanwhile: rolls the ratchet step back. */
class Gone extends Error {}

/**
 * The envelope for `entry`, stored in the outbox with the session's new state; undefined if the entry is gone.
 * `sealV1` makes the v1 envelope (§4) when v1 is the way.
 * @throws {ChatError} DOWNGRADE_REFUSED (the peer is v2 but no session can be made), V2_UNAVAILABLE (v1 refused),
 *   PREKEY_INVALID / PREKEY_BAD_SIGNATURE / BUNDLE_INVALID (a bundle that fails its checks), a connection's error.
 */
export async function sealEntry(
  m: SealContext,
  conn: PrekeyConnection,
  entry: OutboxEntry,
  contact: Contact,
  sealV1: () => Uint8Array,
  allowV1: boolean,
): Promise<Uint8Array | undefined> {
  // Self-notes stay v1: there is no session with oneself (both halves would be ours).
  const self = entry.peer === m.username;
  // A resend request goes in a fresh session (§24.7): the ones we hold may be what the peer no longer shares.
  const fresh = entry.kind === MessageKind.resendRequest;
  let bundle: PrekeyBundle | null = null;
  if (!self && (fresh || !currentSession(m, contact))) {
    // A first contact (or a fresh session) encapsulates to the peer's ML-KEM key: its code loads while the bundle is
    // on its way.
    [bundle] = await Promise.all([fetchPrekeys(conn, contact), conn.speaksV2 ? loadMlkem() : undefined]);
  }
  if (fresh && !bundle) {
    throw new ChatError('V2_UNAVAILABLE', `no v2 prekeys for ${contact.username}: the resend request was dropped`, {
      hint: 'a resend request is never sent as v1 (PROTOCOL.md §24.7)',
    });
  }
  try {
    return m.store.transaction(() => {
      let session = self || fresh ? undefined : currentSession(m, contact);
      if (!session && bundle) session = start(m, contact, bundle);
      let env: Uint8Array;
      if (session) {
        const plain = { kind: entry.kind, id: Buffer.from(entry.id, 'hex'), ts: entry.ts, body: entry.body };
        try {
          env = sealInSession(m, session, contact, plain);
        } catch (err) {
          throw fromCryptoError(err, 'sealing the message');
        }
      } else {
        if (entry.kind === SENDER_KEY_KIND || entry.kind === SENDER_KEY_REQUEST_KIND) {
          // A sender key (or a request for one) travels only in the deniable 1:1 session (§25.3, §25.9): never in v1.
          throw new ChatError('V2_UNAVAILABLE', `no v2 session with ${contact.username} to give it our group key`);
        }
        if (!self) refuseV1(m, contact, conn, allowV1);
        env = sealV1();
      }
      if (!m.store.outbox.sealed(entry.id, env, contact.encryptionPublicKey)) throw new Gone();
      return env;
    });
  } catch (err) {
    if (err instanceof Gone) return undefined;
    throw err;
  }
}

function start(m: SealContext, contact: Contact, bundle: PrekeyBundle) {
  try {
    return startSession(m, contact, bundle, Date.now());
  } catch (err) {
    if (err instanceof CryptoError) {
      // KEM_INVALID, LOW_ORDER_POINT: a prekey that fails its checks all the same (§18.3).
      const code = err.code === 'PREKEY_BAD_SIGNATURE' ? 'PREKEY_BAD_SIGNATURE' : 'PREKEY_INVALID';
      throw new ChatError(code, `${contact.username}'s prekeys from the relay fail their checks: ${err.message}`, {
        hint: 'the relay may be misbehaving; nothing was sent',
        cause: err,
      });
    }
    throw err;
  }
}

function refuseV1(m: SealContext, contact: Contact, conn: PrekeyConnection, allowV1: boolean): void {
  const why = conn.speaksV2 ? `${contact.username} has published no v2 keys` : 'the relay does not speak v2';
  if (m.store.v2.isV2Peer(contact.username)) {
    throw new ChatError(
      'DOWNGRADE_REFUSED',
      `${contact.username} has used protocol v2 with you, but ${why}; refusing to send a v1 envelope`,
      { hint: 'the message stays queued until a v2 session can be made (PROTOCOL.md §24.5)' },
    );
  }
  if (!allowV1) {
    throw new ChatError('V2_UNAVAILABLE', `${why}, so the message could only go as a v1 envelope; nothing was sent`, {
      hint: 'v1 envelopes are signed and have no forward secrecy; chat send --allow-v1 sends one anyway',
    });
  }
}
