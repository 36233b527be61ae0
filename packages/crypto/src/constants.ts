/** Lengths and limits of PROTOCOL.md §2–§4 and §11. Exported so callers can size buffers and check input. */

/** Ed25519 (RFC 8032 §5.1.5) and X25519 (RFC 7748 §5) public keys: 32 bytes. */
export const PUBLIC_KEY_BYTES = 32;
/** Ed25519 seeds (RFC 8032 §5.1.5: the 32-byte private key) and X25519 scalars: 32 bytes. */
export const SECRET_KEY_BYTES = 32;
/** Ed25519 signatures, `R ‖ S` (RFC 8032 §5.1.6): 64 bytes. */
export const SIGNATURE_BYTES = 64;
/** What `seal` adds to a message: ephemeral public key (32) ‖ Poly1305 tag (16) (PROTOCOL.md §2). */
export const SEAL_OVERHEAD_BYTES = 48;
/** Message ids are 16 random bytes chosen by the sender (PROTOCOL.md §4). */
export const MESSAGE_ID_BYTES = 16;
/** The first byte of every envelope (PROTOCOL.md §4). */
export const ENVELOPE_VERSION = 1;
/** The largest envelope a recipient opens (PROTOCOL.md §4 step 1, §11). */
export const MAX_ENVELOPE_BYTES = 65536;
/** The largest body a client seals (PROTOCOL.md §4, §11); the envelope format itself would allow 65,328. */
export const MAX_BODY_BYTES = 60000;

/**
 * Message kinds of the `kind` byte (PROTOCOL.md §4). `text` bodies are UTF-8; `delivered` and `read` receipts carry
 * 1..{@link MAX_RECEIPT_IDS} message ids (16 bytes each); `typing` carries one byte, 1 = typing, 0 = stopped.
 */
export const MessageKind = {
  text: 1,
  delivered: 2,
  read: 3,
  typing: 4,
  /** File transfer (PROTOCOL.md §16.3). */
  fileOffer: 5,
  fileAnswer: 6,
  /** Everyday messaging (PROTOCOL.md §17.1): reply, edit, delete, reaction, and their group variants. */
  reply: 0x07,
  edit: 0x08,
  delete: 0x09,
  reaction: 0x0a,
  /** Disappearing messages (PROTOCOL.md §17.5): a conversation's timer, and its group variant. */
  timer: 0x0b,
  /** Recovery (PROTOCOL.md §24.7): asks the peer to resend messages that could not be decrypted; v2 sessions only. */
  resendRequest: 0x0c,
  /** Groups and rooms (PROTOCOL.md §15.1). */
  groupText: 0x10,
  groupState: 0x11,
  roomText: 0x12,
  groupReply: 0x13,
  groupEdit: 0x14,
  groupDelete: 0x15,
  groupReaction: 0x16,
  groupTimer: 0x17,
} as const;
/** Most message ids in one receipt body (PROTOCOL.md §4). */
export const MAX_RECEIPT_IDS = 256;
/** Most message ids in one resend request (PROTOCOL.md §24.7). */
export const MAX_RESEND_IDS = 64;
/** One of the values of {@link MessageKind}. */
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** Domain-separation labels (PROTOCOL.md §3.2, §3.3, §4): ASCII, each ending with one zero byte. */
export const BUNDLE_LABEL = 'chat/v1/bundle\0';
export const FINGERPRINT_LABEL = 'chat/v1/fingerprint\0';
export const MESSAGE_LABEL = 'chat/v1/msg\0';
