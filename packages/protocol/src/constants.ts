/**
 * Limits and defaults of protocol version 1 (PROTOCOL.md §5, §6, §11). Relay and client import these rather than
 * repeating the numbers, so the spec's tables and the code change together.
 */

/** Protocol version 1 (`hello.v`, `challenge.v`; §6, §11): what a client says until it speaks v2. */
export const PROTOCOL_VERSION = 1;

/** Protocol version 2 (§23.1): version 1 plus the prekey frames of §23. */
export const PROTOCOL_VERSION_2 = 2;

/** The versions a relay of this package accepts in `hello.v` (§23.1), oldest first. */
export const PROTOCOL_VERSIONS: readonly number[] = Object.freeze([PROTOCOL_VERSION, PROTOCOL_VERSION_2]);

/** Length of the frame's length prefix: a u32, big-endian (§5). */
export const FRAME_PREFIX_BYTES = 4;

/** Largest frame body in bytes; the u32 length prefix must be 1..MAX_FRAME_BYTES (§5). */
export const MAX_FRAME_BYTES = 131_072;

/** Largest envelope in bytes (`send.env`, `msg.env`; §4, §6). */
export const MAX_ENVELOPE_BYTES = 65_536;

/** Smallest envelope in bytes: the version byte plus the 48-byte sealed-box overhead (§4). */
export const MIN_ENVELOPE_BYTES = 49;

/** Most message ids in one `ack` (§6.1, §11). */
export const MAX_ACK_IDS = 256;

/** Length of a message id (`send.id`, `sent.id`, `msg.id`, `ack.ids[i]`; §4, §6). */
export const MESSAGE_ID_BYTES = 16;

/** A connection that has not authenticated within this many ms gets a fatal `HANDSHAKE_TIMEOUT` (§7). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Default relay TCP port; the default address is `127.0.0.1:7717` (§11). */
export const DEFAULT_PORT = 7717;

/** Longest `hello.agent` in UTF-8 bytes (§6.1). */
export const MAX_AGENT_LENGTH = 64;

/** Ed25519 and X25519 public keys, relay id and challenge nonce are 32 bytes (§2, §6, §8). */
export const PUBLIC_KEY_BYTES = 32;
export const RELAY_ID_BYTES = 32;
export const NONCE_BYTES = 32;

/** Ed25519 signatures (`bsig`, `sig`) are 64 bytes (§2). */
export const SIGNATURE_BYTES = 64;

/** Usernames on the wire in `auth` and in the relay's answers: 3..32 bytes (§3.1, §6). */
export const MIN_USERNAME_BYTES = 3;
export const MAX_USERNAME_BYTES = 32;

/** A name a client asks about (`lookup.user`, `send.to`) is 1..64 bytes; the relay judges whether it exists (§6.1). */
export const MAX_QUERY_NAME_BYTES = 64;

/** Longest `err.msg` in UTF-8 bytes (§6.2). */
export const MAX_ERROR_MESSAGE_BYTES = 256;

/** Most usernames in one `online` frame (§6.2); a relay with more receivers online lists the first ones, sorted. */
export const MAX_ONLINE_USERS = 1024;

/** Largest request id: `rid` is a u32 (§6). */
export const MAX_RID = 0xffff_ffff;

/** Longest invite code in `auth.invite` and `admin_done.invite`, in UTF-8 bytes (§6.1, §14). */
export const MAX_INVITE_BYTES = 64;

/** Most accounts in one `admin_users` page (§14). */
export const MAX_ADMIN_PAGE = 500;

/** Most envelopes in one `fanout` frame (§15.2); a larger group is sent as several frames, pipelined. */
export const MAX_FANOUT = 1024;

/** Most room names in `rooms` and members in `room_members` (§15.6). */
export const MAX_ROOMS = 256;
export const MAX_ROOM_MEMBERS = 4096;

/** A room name: like a username but 1..32 bytes (§15.6). */
export const ROOM_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** Blob ids (§16.4) are 16 random bytes chosen by the sender. */
export const BLOB_ID_BYTES = 16;
/** A sealed chunk (§16.2) is its plaintext (0..65536 bytes) plus a 16-byte tag. */
export const BLOB_MIN_CHUNK_BYTES = 16;
export const BLOB_MAX_CHUNK_BYTES = 65536 + 16;
/** Chunk counts and indexes fit in 32 bits (a 256 TiB file). */
export const MAX_BLOB_CHUNKS = 0xffff_ffff;

/** Prekey types on the wire (§18.1, §23.2): the type byte of §18.2 as an int. */
export const PREKEY_TYPE_SPK = 1;
export const PREKEY_TYPE_OPK = 2;
export const PREKEY_TYPE_PQSPK = 3;
export const PREKEY_TYPE_PQOPK = 4;
/** An X25519 prekey is 32 bytes; an ML-KEM-768 encapsulation key 1,184 bytes (§18.1). */
export const X25519_PREKEY_BYTES = 32;
export const MLKEM_PREKEY_BYTES = 1184;
/** Most entries in one `prekey_put` (§23.2); the frame must also fit MAX_FRAME_BYTES (about 100 ML-KEM keys). */
export const MAX_PREKEY_BATCH = 200;
/** Most one-time X25519 / ML-KEM-768 prekeys a relay stores per user (§23.3 step 7): over it, `PREKEY_LIMIT`. */
export const MAX_STORED_OPK = 200;
export const MAX_STORED_PQOPK = 50;
/** Below these counts the relay tells the owner (`prekey_count`, §23.5) and the client replenishes. */
export const OPK_LOW_WATER = 25;
export const PQOPK_LOW_WATER = 10;
