/**
 * PQXDH key agreement (Signal, "The PQXDH Key Agreement Protocol", revision 3), as PROTOCOL.md §19 specifies it
 * for this project: curve X25519, hash SHA-256, KEM ML-KEM-768. The X25519 identity key is the user's existing
 * encryption key (§1), so fingerprints and safety numbers stay as they are. Pure functions: looking up and erasing
 * prekeys, and remembering initiations already seen, are the caller's.
 */
import { checkEncryptionPublicKey, usernameArg } from './bundle.js';
import { concat, exactBytes, utf8, wipe } from './bytes.js';
import { PUBLIC_KEY_BYTES } from './constants.js';
import type { Identity, KeyPair } from './identity.js';
import { hkdfSha256 } from './kdf.js';
import { mlkemDecapsulate, mlkemEncapsulate } from './mlkem.js';
import { type SignedPrekey, verifyPrekey } from './prekey.js';
import type { PqxdhInitiation } from './pqxdh-initiation.js';
import { MLKEM_SECRET_KEY_BYTES, PQXDH_AD_LABEL, PQXDH_F, PQXDH_INFO, PrekeyType } from './v2-constants.js';
import { x25519, x25519KeyPair, x25519Uncached } from './x25519.js';

/** A party's public long-term keys as pinned from its v1 key bundle (§3.2). */
export interface PqxdhParty {
  username: string;
  /** Ed25519 identity key. */
  identityPublicKey: Uint8Array;
  /** X25519 encryption key: PQXDH's IK. */
  encryptionPublicKey: Uint8Array;
}

/** What the initiator fetched from the relay for the responder (§18.4), besides the pinned v1 bundle. */
export interface PrekeyBundle {
  signedPrekey: SignedPrekey;
  oneTimePrekey?: SignedPrekey;
  /** ML-KEM-768, one-time if the relay had one, else the last-resort key. */
  pqPrekey: SignedPrekey;
}

/** The session secret `SK` (32 bytes) and the associated data `AD` both ratchets authenticate. */
export interface PqxdhSecret {
  sharedSecret: Uint8Array;
  associatedData: Uint8Array;
}

/**
 * `AD = "chat/v2/ad\0" ‖ len8(initiator) ‖ initiator ‖ id_pk_A (32) ‖ IK_A (32) ‖ len8(responder) ‖ responder ‖
 * id_pk_B (32) ‖ IK_B (32)` (§19.3): both usernames and both identities, initiator first.
 *
 * @throws {RangeError} on an invalid username or a key that is not 32 bytes.
 * @example const ad = pqxdhAssociatedData(alice, bob)
 */
export function pqxdhAssociatedData(initiator: PqxdhParty, responder: PqxdhParty): Uint8Array {
  return concat(utf8(PQXDH_AD_LABEL), party(initiator, 'initiator'), party(responder, 'responder'));
}

/**
 * The initiator's side (§19.2, PQXDH rev. 3 §3.3): checks every prekey signature against the responder's pinned
 * identity, then computes `SK` from DH1..DH4 and an ML-KEM encapsulation. `ephemeralSecretKey` and `kemRandomness`
 * are for test vectors only; by default both come from the CSPRNG. The ephemeral secret and every DH output are
 * wiped before returning. The ML-KEM code must be loaded (`loadMlkem`).
 *
 * @throws {CryptoError} `PREKEY_INVALID` / `PREKEY_BAD_SIGNATURE` if a prekey is malformed or not signed by the
 *   responder; `LOW_ORDER_POINT` if a DH output is all zero; `KEM_INVALID` if the ML-KEM key fails FIPS 203 §7.2.
 * @example const { sharedSecret, associatedData, initiation } = pqxdhInitiate(me, mine, bob, fetched)
 */
export function pqxdhInitiate(
  me: Identity,
  myUsername: string,
  responder: PqxdhParty,
  bundle: PrekeyBundle,
  testing?: { ephemeralSecretKey?: Uint8Array; kemRandomness?: Uint8Array },
): PqxdhSecret & { initiation: PqxdhInitiation } {
  const { signedPrekey: spk, oneTimePrekey: opk, pqPrekey: pq } = bundle;
  verifyPrekey(spk, responder.username, responder.identityPublicKey, [PrekeyType.x25519Signed]);
  if (opk !== undefined) verifyPrekey(opk, responder.username, responder.identityPublicKey, [PrekeyType.x25519OneTime]);
  verifyPrekey(pq, responder.username, responder.identityPublicKey, [
    PrekeyType.mlkemOneTime,
    PrekeyType.mlkemLastResort,
  ]);
  checkEncryptionPublicKey(responder.encryptionPublicKey);
  const associatedData = pqxdhAssociatedData(ownParty(me, myUsername), responder);
  const ek = x25519KeyPair(testing?.ephemeralSecretKey);
  const { cipherText, sharedSecret: ss } = mlkemEncapsulate(pq.publicKey, testing?.kemRandomness);
  const dhs: Uint8Array[] = [];
  try {
    dhs.push(x25519(me.encryption.secretKey, spk.publicKey)); // DH1 = DH(IK_A, SPK_B)
    dhs.push(x25519Uncached(ek.secretKey, responder.encryptionPublicKey)); // DH2 = DH(EK_A, IK_B)
    dhs.push(x25519Uncached(ek.secretKey, spk.publicKey)); // DH3 = DH(EK_A, SPK_B)
    if (opk !== undefined) dhs.push(x25519Uncached(ek.secretKey, opk.publicKey)); // DH4 = DH(EK_A, OPK_B)
    const initiation: PqxdhInitiation = {
      signedPrekeyId: spk.keyId,
      pqPrekeyType: pq.type as PqxdhInitiation['pqPrekeyType'],
      pqPrekeyId: pq.keyId,
      ephemeralPublicKey: ek.publicKey,
      kemCipherText: cipherText,
      ...(opk === undefined ? {} : { oneTimePrekeyId: opk.keyId }),
    };
    return { sharedSecret: pqxdhKdf(dhs, ss), associatedData, initiation };
  } finally {
    wipe(ek.secretKey, ss, ...dhs);
  }
}

/** The responder's private prekeys named by an initiation, as the caller looked them up by id. */
export interface ResponderPrekeys {
  signedPrekey: KeyPair;
  oneTimePrekey?: KeyPair;
  /** ML-KEM-768 decapsulation key (2,400 bytes) and its encapsulation key. */
  pqPrekey: KeyPair;
}

/**
 * The responder's side (§19.4, PQXDH rev. 3 §3.4): recomputes `SK` from its private prekeys and the initiation. The
 * caller MUST first refuse a replayed initiation ({@link pqxdhReplayKey}) and, once the first message has
 * decrypted, erase the one-time prekeys it used. An `SK` that is wrong (a bad ciphertext, the wrong prekeys) shows up
 * as the first ratchet message failing to decrypt. The ML-KEM code must be loaded (`loadMlkem`).
 *
 * @throws {CryptoError} `NON_CANONICAL_KEY` / `LOW_ORDER_POINT` on a bad ephemeral key or DH output;
 *   `KEM_INVALID` on a ciphertext of the wrong length.
 * @throws {RangeError} if a one-time prekey is given when the initiation names none, or the reverse.
 * @example const { sharedSecret } = pqxdhRespond(me, 'bob', alice, initiation, lookUp(initiation))
 */
export function pqxdhRespond(
  me: Identity,
  myUsername: string,
  initiator: PqxdhParty,
  initiation: PqxdhInitiation,
  prekeys: ResponderPrekeys,
): PqxdhSecret {
  if ((initiation.oneTimePrekeyId === undefined) !== (prekeys.oneTimePrekey === undefined)) {
    throw new RangeError('pqxdhRespond: a one-time prekey must be given exactly when the initiation names one');
  }
  exactBytes('pqxdhRespond', 'pqPrekey.secretKey', prekeys.pqPrekey.secretKey, MLKEM_SECRET_KEY_BYTES);
  checkEncryptionPublicKey(initiator.encryptionPublicKey);
  checkEncryptionPublicKey(initiation.ephemeralPublicKey);
  const associatedData = pqxdhAssociatedData(initiator, ownParty(me, myUsername));
  const ek = initiation.ephemeralPublicKey;
  const ss = mlkemDecapsulate(initiation.kemCipherText, prekeys.pqPrekey.secretKey);
  const dhs: Uint8Array[] = [];
  try {
    dhs.push(x25519Uncached(prekeys.signedPrekey.secretKey, initiator.encryptionPublicKey)); // DH1
    dhs.push(x25519(me.encryption.secretKey, ek)); // DH2
    dhs.push(x25519Uncached(prekeys.signedPrekey.secretKey, ek)); // DH3
    if (prekeys.oneTimePrekey !== undefined) dhs.push(x25519Uncached(prekeys.oneTimePrekey.secretKey, ek)); // DH4
    return { sharedSecret: pqxdhKdf(dhs, ss), associatedData };
  } finally {
    wipe(ss, ...dhs);
  }
}

/**
 * `SK = HKDF-SHA-256(ikm = F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, salt = 32 zero bytes, info = PQXDH_INFO, L = 32)`
 * (PQXDH rev. 3 §2.2 and §3.3). The concatenated input is wiped.
 */
export function pqxdhKdf(dhs: readonly Uint8Array[], kemSharedSecret: Uint8Array): Uint8Array {
  const ikm = concat(PQXDH_F, ...dhs, kemSharedSecret);
  try {
    return hkdfSha256(ikm, new Uint8Array(32), PQXDH_INFO, 32);
  } finally {
    wipe(ikm);
  }
}

function ownParty(me: Identity, username: string): PqxdhParty {
  return { username, identityPublicKey: me.identity.publicKey, encryptionPublicKey: me.encryption.publicKey };
}

function party(p: PqxdhParty, what: string): Uint8Array {
  const name = utf8(usernameArg('pqxdhAssociatedData', `${what}.username`, p.username));
  exactBytes('pqxdhAssociatedData', `${what}.identityPublicKey`, p.identityPublicKey, PUBLIC_KEY_BYTES);
  exactBytes('pqxdhAssociatedData', `${what}.encryptionPublicKey`, p.encryptionPublicKey, PUBLIC_KEY_BYTES);
  return concat(Uint8Array.of(name.length), name, p.identityPublicKey, p.encryptionPublicKey);
}
