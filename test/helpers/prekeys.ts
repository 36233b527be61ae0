/**
 * Signed prekey batches for relay tests (PROTOCOL.md §18.2, §23.2): what a v2 client publishes, built with the
 * crypto package's real key generation and signatures, and the `prekey_put` frame that carries them.
 */
import { PrekeyType, mlkemKeyPair, signPrekey, x25519KeyPair, type Identity, type SignedPrekey } from '@chat/crypto';
import type { PrekeyPutFrame, PrekeyTypeByte } from '@chat/protocol';

/** One signed prekey of `type` for `user`, signed by `identity` (any identity: a test may sign with the wrong one). */
export function signedPrekey(identity: Identity, user: string, type: PrekeyType, keyId: number): SignedPrekey {
  const publicKey =
    type === PrekeyType.x25519Signed || type === PrekeyType.x25519OneTime
      ? x25519KeyPair().publicKey
      : mlkemKeyPair().publicKey;
  return signPrekey(type, user, keyId, publicKey, identity.identity.secretKey);
}

/** A full set: SPK id 1, PQSPK id 1, `opks` one-time X25519 keys and `pqopks` one-time ML-KEM keys, ids from 100. */
export function prekeySet(identity: Identity, user: string, opks: number, pqopks: number): SignedPrekey[] {
  return [
    signedPrekey(identity, user, PrekeyType.x25519Signed, 1),
    signedPrekey(identity, user, PrekeyType.mlkemLastResort, 1),
    ...Array.from({ length: opks }, (_, i) => signedPrekey(identity, user, PrekeyType.x25519OneTime, 100 + i)),
    ...Array.from({ length: pqopks }, (_, i) => signedPrekey(identity, user, PrekeyType.mlkemOneTime, 100 + i)),
  ];
}

/** The `prekey_put` frame carrying `keys`. */
export function prekeyPut(rid: number, keys: readonly SignedPrekey[], reset?: boolean): PrekeyPutFrame {
  return {
    t: 'prekey_put',
    rid,
    types: keys.map((k) => k.type as PrekeyTypeByte),
    ids: keys.map((k) => k.keyId),
    keys: keys.map((k) => k.publicKey),
    sigs: keys.map((k) => k.signature),
    ...(reset === undefined ? {} : { reset }),
  };
}
