/**
 * Fetching a peer's prekey bundle (PROTOCOL.md §23.4) and checking it against the pinned contact (§24.2 step 2): the
 * name asked for, the pinned identity and encryption keys. The prekeys' own checks (§18.3) run in PQXDH.
 */
import { PrekeyType, type PrekeyBundle, constantTimeEqual } from '@chat/crypto';
import type { PrekeyBundleFrame } from '@chat/protocol';
import { ChatError } from '../errors.js';
import type { Contact } from '../store/types.js';

/** `prekey_bundle` (§23.2) as the connection returns it. */
export type PrekeyBundleReply = Omit<PrekeyBundleFrame, 't' | 'rid'>;

/** What sending needs of a connection for v2. */
export interface PrekeyConnection {
  /** The connection speaks protocol version 2 (§23.1). */
  readonly speaksV2: boolean;
  /** §23.4; null when the user has published no prekeys (`NO_PREKEYS`). @throws {ChatError} */
  prekeyGet(user: string): Promise<PrekeyBundleReply | null>;
}

/**
 * The prekey bundle of `contact`, or null if the relay has none for it (or speaks v1).
 * @throws {ChatError} BUNDLE_INVALID if the relay answers for another name or other keys than the pinned ones.
 */
export async function fetchPrekeys(conn: PrekeyConnection, contact: Contact): Promise<PrekeyBundle | null> {
  if (!conn.speaksV2) return null;
  const r = await conn.prekeyGet(contact.username);
  if (r === null) return null;
  if (
    r.user !== contact.username ||
    !constantTimeEqual(r.idpk, contact.identityPublicKey) ||
    !constantTimeEqual(r.encpk, contact.encryptionPublicKey)
  ) {
    throw new ChatError(
      'BUNDLE_INVALID',
      `the relay's prekey bundle for ${contact.username} is not for the pinned key; nothing was sent`,
      { hint: `chat lookup ${contact.username} shows the key the relay gives now` },
    );
  }
  return {
    signedPrekey: { type: PrekeyType.x25519Signed, keyId: r.spkId, publicKey: r.spk, signature: r.spkSig },
    pqPrekey: { type: r.pqType, keyId: r.pqId, publicKey: r.pq, signature: r.pqSig },
    ...(r.opk && r.opkSig && r.opkId !== undefined
      ? { oneTimePrekey: { type: PrekeyType.x25519OneTime, keyId: r.opkId, publicKey: r.opk, signature: r.opkSig } }
      : {}),
  };
}
