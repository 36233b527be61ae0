/**
 * Constants of protocol v2 (PROTOCOL.md §18–§21): prekeys, PQXDH, the Double Ratchet and padding. Every label is
 * ASCII; the HKDF `info` strings have no trailing zero byte (HKDF's info is length-delimited), the signature label
 * has one, like v1's labels.
 */

/** Signature label of every prekey (§18.2). */
export const PREKEY_LABEL = 'chat/v2/prekey\0';
/** Prekey types: the byte that follows {@link PREKEY_LABEL} (§18.1). */
export const PrekeyType = {
  /** X25519 signed prekey (SPK), rotated weekly. */
  x25519Signed: 0x01,
  /** X25519 one-time prekey (OPK), used once. */
  x25519OneTime: 0x02,
  /** ML-KEM-768 last-resort key (PQSPK), rotated weekly, may be used more than once. */
  mlkemLastResort: 0x03,
  /** ML-KEM-768 one-time key (PQOPK), used once. */
  mlkemOneTime: 0x04,
} as const;
/** One of the values of {@link PrekeyType}. */
export type PrekeyType = (typeof PrekeyType)[keyof typeof PrekeyType];

/** ML-KEM-768 (FIPS 203 Table 3) encapsulation key bytes. */
export const MLKEM_PUBLIC_KEY_BYTES = 1184;
/** ML-KEM-768 decapsulation key bytes (the FIPS 203 expanded form). */
export const MLKEM_SECRET_KEY_BYTES = 2400;
/** ML-KEM-768 ciphertext bytes. */
export const MLKEM_CIPHERTEXT_BYTES = 1088;
/** ML-KEM-768 key-generation seed `d ‖ z` (FIPS 203 §7.1 ML-KEM.KeyGen_internal). */
export const MLKEM_SEED_BYTES = 64;
/** ML-KEM shared secret and encapsulation randomness `m` bytes. */
export const MLKEM_SHARED_SECRET_BYTES = 32;

/** PQXDH `F`: 32 bytes of 0xff, prepended to the KDF input (PQXDH rev. 3 §2.2, curve X25519). */
export const PQXDH_F = new Uint8Array(32).fill(0xff);
/** PQXDH HKDF `info` (PQXDH rev. 3 §2.2: protocol name ‖ curve ‖ hash ‖ KEM). */
export const PQXDH_INFO = 'chat/v2/PQXDH_CURVE25519_SHA-256_ML-KEM-768';
/** Label of an initiation's replay key (§19.6). */
export const PQXDH_REPLAY_LABEL = 'chat/v2/replay\0';
/** Label that opens the PQXDH associated data (§19.3). */
export const PQXDH_AD_LABEL = 'chat/v2/ad\0';

/** Double Ratchet KDF_RK HKDF `info` (§20.2). */
export const RATCHET_ROOT_INFO = 'chat/v2/ratchet/root';
/** Double Ratchet message-key expansion HKDF `info` (§20.2). */
export const RATCHET_MESSAGE_INFO = 'chat/v2/ratchet/message';
/** KDF_CK: HMAC-SHA-256 input byte for the message key (Double Ratchet rev. 4 §5.2). */
export const RATCHET_MESSAGE_KEY_CONSTANT = 0x01;
/** KDF_CK: HMAC-SHA-256 input byte for the next chain key. */
export const RATCHET_CHAIN_KEY_CONSTANT = 0x02;
/** Root, chain and message keys: 32 bytes. */
export const RATCHET_KEY_BYTES = 32;
/** Ratchet header: ratchet public key (32) ‖ u32be(pn) ‖ u32be(n) (§20.3). */
export const RATCHET_HEADER_BYTES = 40;
/** ChaCha20-Poly1305 tag bytes (RFC 8439 §2.8). */
export const AEAD_TAG_BYTES = 16;
/** ChaCha20-Poly1305 nonce bytes (RFC 8439 §2.8). */
export const AEAD_NONCE_BYTES = 12;
/** Most message keys one chain may skip in one step (§20.5). */
export const MAX_SKIP = 1000;
/** Most skipped message keys a session keeps in all (§20.5); the oldest are erased first. */
export const MAX_SKIPPED_TOTAL = 2000;
/** Previous receiving ratchet keys remembered, to tell a late duplicate from a new ratchet step (§20.5). */
export const MAX_RETIRED_CHAINS = 16;
/** Highest message number a chain may reach: `n` is a u32 and 0xffffffff is never used. */
export const MAX_CHAIN_INDEX = 0xfffffffe;

/** Padding: the smallest bucket (§21). */
export const PAD_MIN_BYTES = 256;
/** Padding: sizes up to this are padded to a power of two, larger ones to a multiple of it (§21). */
export const PAD_STEP_BYTES = 4096;
/** Padding: the end marker byte (ISO/IEC 7816-4). */
export const PAD_MARKER = 0x80;

/** Group sender keys (§25): the envelope version byte of a group message sealed to one member. */
export const GROUP_ENVELOPE_VERSION = 0x03;
/** Group sender keys: HKDF `info` expanding a message key into an AEAD key and nonce (§25.2). */
export const GROUP_MESSAGE_INFO = 'chat/v2/group/message';
/** Group sender keys: the label every group message signature covers first (§25.4). */
export const GROUP_SIGNATURE_LABEL = 'chat/v2/group/sig\0';
/** Group sender keys: an epoch id's bytes (random, made by its sender, §25.1). */
export const GROUP_EPOCH_ID_BYTES = 16;
/** Group sender keys: iterations one message may make a receiver skip in one chain (§25.5). */
export const GROUP_MAX_SKIP = 1000;
/** Group sender keys: skipped message keys a receiving chain keeps; the oldest are erased first (§25.5). */
export const GROUP_MAX_SKIPPED_KEYS = 1000;
/**
 * Group sender keys: receiving chains a receiver keeps per (group, member), the least recently used erased first
 * (§25.7). A sender holds one epoch at a time, so a few cover messages of older epochs still in flight; without a
 * bound a member could make a receiver keep 36 kB of skipped keys per two envelopes it sends.
 */
export const GROUP_MAX_SENDER_EPOCHS = 5;
/** Group sender keys: messages a sender sends in one epoch before it starts a new one (§25.6). */
export const GROUP_EPOCH_MAX_MESSAGES = 1000;
/** Group sender keys: the age at which a sender starts a new epoch, 7 days in milliseconds (§25.6). */
export const GROUP_EPOCH_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Inner kind of a sender key distribution (§25.3). Not in MessageKind: it is valid only inside a v2 envelope, so the
 * v1 body check refuses it as an unknown kind.
 */
export const SENDER_KEY_KIND = 0x18;
/**
 * Inner kind of a sender key request (§25.9): `gid ‖ epoch`, asking a member for its distribution again. Like 0x18,
 * valid only inside a v2 envelope.
 */
export const SENDER_KEY_REQUEST_KIND = 0x19;
/** The body of a sender key request: gid (16) ‖ epoch (16) (§25.9). */
export const SENDER_KEY_REQUEST_BYTES = 32;
