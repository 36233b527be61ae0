/**
 * @chat/crypto: keys, signatures, sealed boxes, key bundles and envelopes of PROTOCOL.md §2–§4.
 * Pure functions, no I/O. Ed25519 signing and X25519 with long-term keys run on node:crypto; the sealed box, the
 * AEAD, SHA-256, Ed25519 verification and X25519 with short-lived keys on libsodium (sodium-native's addon);
 * `reference` is the same on tweetnacl alone.
 */
export {
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
  SEAL_OVERHEAD_BYTES,
  MESSAGE_ID_BYTES,
  ENVELOPE_VERSION,
  MAX_ENVELOPE_BYTES,
  MAX_BODY_BYTES,
  MAX_RECEIPT_IDS,
  MAX_RESEND_IDS,
  MessageKind,
  BUNDLE_LABEL,
  FINGERPRINT_LABEL,
  MESSAGE_LABEL,
} from './constants.js';
export { CryptoError, CRYPTO_ERROR_CODES, isCryptoError, type CryptoErrorCode } from './errors.js';
export { toHex, fromHex, toBase64, fromBase64, utf8, fromUtf8, constantTimeEqual } from './bytes.js';
export { sign, verify } from './ed25519.js';
export { x25519, isCanonicalX25519PublicKey } from './x25519.js';
export { seal, openSealed, sealedBoxOpener } from './seal.js';
export { reference } from './reference.js';
export { generateIdentity, identityFromSecrets, fingerprint, type KeyPair, type Identity } from './identity.js';
export {
  USERNAME_PATTERN,
  isValidUsername,
  bundleMessage,
  signBundle,
  verifyBundle,
  checkEncryptionPublicKey,
  type KeyBundle,
} from './bundle.js';
export { messageBodyProblem, type MessageFields } from './inner.js';
export {
  sealEnvelope,
  signInner,
  sealInner,
  openEnvelope,
  verifyEnvelopeSignature,
  randomMessageId,
  type OpenedEnvelope,
} from './envelope.js';
export { clearKeyCache } from './keys.js';
export { relayCertFingerprint, isRelayCertFingerprint, RELAY_CERT_FINGERPRINT_LENGTH } from './relay-cert.js';
export {
  safetyNumber,
  safetyNumberHalf,
  formatSafetyNumber,
  safetyNumberMatches,
  typedSafetyNumber,
  SAFETY_NUMBER_LABEL,
  SAFETY_NUMBER_ITERATIONS,
  SAFETY_NUMBER_DIGITS,
} from './safety-number.js';
export {
  GROUP_ID_BYTES,
  MAX_GROUP_MEMBERS,
  MAX_GROUP_NAME_BYTES,
  GROUP_NAME_FORBIDDEN,
  ROOM_PATTERN,
  GROUP_OPS,
  encodeGroupRecord,
  parseGroupRecord,
  groupRecordProblem,
  encodeGroupText,
  encodeRoomText,
  parseRoomText,
  type GroupOp,
  type GroupMember,
  type GroupRecord,
} from './group-record.js';
export { newGroupId, groupIdBoundTo, GROUP_ID_DOMAIN, GROUP_ID_RANDOM_BYTES } from './group-id.js';
export {
  STREAM_CHUNK_BYTES,
  STREAM_TAG_BYTES,
  STREAM_SEALED_CHUNK_BYTES,
  STREAM_KEY_BYTES,
  generateFileKey,
  streamChunkCount,
  streamSealedSize,
  streamNonce,
  sealChunk,
  openChunk,
  StreamOpener,
} from './stream.js';
export {
  encodeFileOffer,
  decodeFileOffer,
  encodeFileAnswer,
  decodeFileAnswer,
  type FileOffer,
  type FileAnswer,
  type FileAnswerOutcome,
} from './file-offer.js';
export {
  TARGET_BYTES,
  MAX_REACTION_BYTES,
  GROUP_MESSAGE_REF_LABEL,
  isActionKind,
  encodeMessageAction,
  parseMessageAction,
  messageActionProblem,
  groupMessageRef,
  type ActionOp,
  type MessageAction,
} from './message-action.js';
// Protocol v2 (PROTOCOL.md §18–§21): specified and implemented here, not yet on the wire.
export {
  PREKEY_LABEL,
  PrekeyType,
  MLKEM_PUBLIC_KEY_BYTES,
  MLKEM_SECRET_KEY_BYTES,
  MLKEM_CIPHERTEXT_BYTES,
  MLKEM_SEED_BYTES,
  MLKEM_SHARED_SECRET_BYTES,
  PQXDH_F,
  PQXDH_INFO,
  PQXDH_AD_LABEL,
  PQXDH_REPLAY_LABEL,
  RATCHET_ROOT_INFO,
  RATCHET_MESSAGE_INFO,
  RATCHET_MESSAGE_KEY_CONSTANT,
  RATCHET_CHAIN_KEY_CONSTANT,
  RATCHET_KEY_BYTES,
  RATCHET_HEADER_BYTES,
  AEAD_TAG_BYTES,
  AEAD_NONCE_BYTES,
  MAX_SKIP,
  MAX_SKIPPED_TOTAL,
  MAX_RETIRED_CHAINS,
  MAX_CHAIN_INDEX,
  PAD_MIN_BYTES,
  PAD_STEP_BYTES,
  PAD_MARKER,
} from './v2-constants.js';
export { aeadSeal, aeadOpen } from './aead.js';
export { hkdfSha256, hmacSha256 } from './kdf.js';
export {
  loadMlkem,
  mlkemLoaded,
  mlkemKeyPair,
  mlkemEncapsulate,
  mlkemDecapsulate,
  type Encapsulation,
} from './mlkem.js';
export { prekeyMessage, signPrekey, verifyPrekey, prekeyLength, isKeyId, type SignedPrekey } from './prekey.js';
export {
  pqxdhInitiate,
  pqxdhRespond,
  pqxdhAssociatedData,
  pqxdhKdf,
  type PqxdhParty,
  type PrekeyBundle,
  type PqxdhSecret,
  type ResponderPrekeys,
} from './pqxdh.js';
export {
  encodeInitiation,
  decodeInitiation,
  pqxdhReplayKey,
  checkNotReplayed,
  type PqxdhInitiation,
} from './pqxdh-initiation.js';
export { kdfRk, kdfCk, messageKeyMaterial } from './ratchet-kdf.js';
export { encodeHeader, splitMessage, type RatchetHeader } from './ratchet-header.js';
export {
  ratchetInitInitiator,
  ratchetInitResponder,
  ratchetEncrypt,
  ratchetDecrypt,
  ratchetDecryptInPlace,
  type RatchetRandom,
} from './ratchet.js';
export {
  cloneRatchetState,
  wipeRatchetState,
  serializeRatchetState,
  deserializeRatchetState,
  RATCHET_STATE_FORMAT,
  type RatchetState,
  type SkippedKey,
} from './ratchet-state.js';
export { pad, unpad, paddedLength } from './padding.js';
export { x25519KeyPair } from './x25519.js';
export { loadSodium } from './sodium.js';
export { MAX_TIMER_SECONDS, encodeTimer, isTimerKind, parseTimer, timerProblem, type TimerBody } from './timer.js';
export {
  GROUP_ENVELOPE_VERSION,
  GROUP_MESSAGE_INFO,
  GROUP_SIGNATURE_LABEL,
  GROUP_EPOCH_ID_BYTES,
  GROUP_MAX_SKIP,
  GROUP_MAX_SKIPPED_KEYS,
  GROUP_MAX_SENDER_EPOCHS,
  GROUP_EPOCH_MAX_MESSAGES,
  GROUP_EPOCH_MAX_AGE_MS,
  SENDER_KEY_KIND,
  SENDER_KEY_REQUEST_KIND,
  SENDER_KEY_REQUEST_BYTES,
} from './v2-constants.js';
export {
  newSenderKey,
  distributionOf,
  receivingSenderKey,
  groupMessageKeyMaterial,
  groupEncrypt,
  groupDecrypt,
  type SenderKey,
  type SenderKeyRandom,
} from './sender-key.js';
export {
  SENDER_KEY_DISTRIBUTION_BYTES,
  GROUP_MESSAGE_KINDS,
  SENDER_KEY_STATE_FORMAT,
  encodeSenderKeyDistribution,
  parseSenderKeyDistribution,
  encodeGroupHeader,
  parseGroupMessage,
  serializeReceivingSenderKey,
  deserializeReceivingSenderKey,
  type SenderKeyDistribution,
  type GroupMessage,
  type ReceivingSenderKey,
} from './sender-key-codec.js';
