/**
 * @chat/crypto: keys, signatures, sealed boxes, key bundles and envelopes of PROTOCOL.md §2–§4.
 * Pure functions, no I/O. Ed25519 and X25519 run on node:crypto; XSalsa20-Poly1305 and HSalsa20 on tweetnacl;
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
  MessageKind,
  BUNDLE_LABEL,
  FINGERPRINT_LABEL,
  MESSAGE_LABEL,
} from './constants.js';
export { CryptoError, CRYPTO_ERROR_CODES, isCryptoError, type CryptoErrorCode } from './errors.js';
export { toHex, fromHex, toBase64, fromBase64, utf8, fromUtf8, constantTimeEqual } from './bytes.js';
export { sign, verify } from './ed25519.js';
export { x25519, isCanonicalX25519PublicKey } from './x25519.js';
export { seal, openSealed } from './seal.js';
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
export type { MessageFields } from './inner.js';
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
export { MAX_TIMER_SECONDS, encodeTimer, isTimerKind, parseTimer, timerProblem, type TimerBody } from './timer.js';
