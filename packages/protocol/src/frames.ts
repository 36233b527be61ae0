/**
 * Frame types of protocol versions 1 and 2 (PROTOCOL.md §6, §23): discriminated unions on `t`.
 *
 * Byte fields are typed `Uint8Array`. `encodeFrame` accepts any Uint8Array (Buffers included); decoded frames carry
 * Node Buffers (which are Uint8Arrays) that are fresh copies, never views of the body they came from.
 */
import type { ErrorCode } from './errors.js';

/** Session mode chosen in `auth` (§8): one `recv` session per user, any number of `send` sessions. */
export type Mode = 'recv' | 'send';

// ── client → relay (§6.1) ────────────────────────────────────────────────────────────────────────────────────────

/** First frame of a connection. `v` is the client's protocol version; `agent` is str(0..64). */
export interface HelloFrame {
  t: 'hello';
  v: number;
  agent: string;
}
/** Answer to `challenge`: the client's key bundle plus `sig` over `authMessage(...)` (§8). */
export interface AuthFrame {
  t: 'auth';
  user: string;
  idpk: Uint8Array;
  encpk: Uint8Array;
  bsig: Uint8Array;
  mode: Mode;
  sig: Uint8Array;
  invite?: string;
}
/** Ask for a user's key bundle. */
export interface LookupFrame {
  t: 'lookup';
  rid: number;
  user: string;
}
/**
 * Store envelope `env` (49..65536 bytes) under message id `id` (16 bytes) in the mailbox of `to`; with `eph: true`,
 * forward it only to a `recv` session of `to` that is online now and store nothing (§9 "Ephemeral").
 */
export interface SendFrame {
  t: 'send';
  rid: number;
  to: string;
  id: Uint8Array;
  env: Uint8Array;
  eph?: boolean;
}
/** Delete 1..256 delivered envelopes (mode `recv` only). No reply. */
export interface AckFrame {
  t: 'ack';
  ids: Uint8Array[];
}
export interface PingFrame {
  t: 'ping';
  rid: number;
}
/** Ask which users have a `recv` session now (§6.1, presence). */
export interface WhoFrame {
  t: 'who';
  rid: number;
}

/** Admin operations (§14), allowed only for usernames the relay's config names as admins. */
export type AdminOp = 'users' | 'kick' | 'ban' | 'unban' | 'invite' | 'shutdown' | 'stats';
/** An admin request; `user` names the account for kick/ban/unban, `after` pages `users`, `reason` goes to the kicked. */
export interface AdminFrame {
  t: 'admin';
  rid: number;
  op: AdminOp;
  user?: string;
  after?: string;
  reason?: string;
}

/**
 * Store 1..MAX_FANOUT envelopes at once, entry i of each array being one `send` (PROTOCOL.md §15.2): all of them in
 * one transaction, answered by one `fanout_sent`. Group and room messages travel this way.
 */
export interface FanoutFrame {
  t: 'fanout';
  rid: number;
  to: string[];
  ids: Uint8Array[];
  envs: Uint8Array[];
}
/** Public rooms (§15.6): list the relay's rooms, join or leave one, or list its members. */
export type RoomOp = 'list' | 'join' | 'leave' | 'members';
export interface RoomFrame {
  t: 'room';
  rid: number;
  op: RoomOp;
  room?: string;
}

// File transfer (§16.4): blob frames. `bid` is the 16-byte blob id chosen by the sender.
/** Announce (or, with the same parameters, resume) an upload of `chunks` sealed chunks, `size` bytes, for `to`. */
export interface BlobNewFrame {
  t: 'blob_new';
  rid: number;
  bid: Uint8Array;
  to: string;
  size: number;
  chunks: number;
}
/** Store sealed chunk `n` (the next one: `n` = `have`). */
export interface BlobPutFrame {
  t: 'blob_put';
  rid: number;
  bid: Uint8Array;
  n: number;
  data: Uint8Array;
}
/** Ask for chunks `from` … last of a complete blob addressed to the requester. */
export interface BlobGetFrame {
  t: 'blob_get';
  rid: number;
  bid: Uint8Array;
  from: number;
}
/** The recipient received or declined the blob (or its sender cancels it): the relay deletes it. */
export interface BlobDoneFrame {
  t: 'blob_done';
  rid: number;
  bid: Uint8Array;
  outcome: BlobOutcome;
}
export type BlobOutcome = 'received' | 'declined';

// Prekeys (§23): allowed only on a version-2 connection.
/** A prekey type byte of §18.1: 1 SPK, 2 OPK, 3 PQSPK (last resort), 4 PQOPK. */
export type PrekeyTypeByte = 1 | 2 | 3 | 4;
/**
 * Publish prekeys (§23.3): entry i is `(types[i], ids[i], keys[i], sigs[i])`, each signed per §18.2. A type-1 or
 * type-3 entry replaces the stored signed key; one-time entries are added. `reset: true` first deletes every stored
 * one-time key. No entries: only asks for the counts.
 */
export interface PrekeyPutFrame {
  t: 'prekey_put';
  rid: number;
  types: PrekeyTypeByte[];
  ids: number[];
  keys: Uint8Array[];
  sigs: Uint8Array[];
  reset?: boolean;
}
/** Fetch `user`'s prekey bundle (§23.4), consuming at most one one-time key of each kind. */
export interface PrekeyGetFrame {
  t: 'prekey_get';
  rid: number;
  user: string;
}

export type ClientFrame =
  | PrekeyPutFrame
  | PrekeyGetFrame
  | HelloFrame
  | AuthFrame
  | LookupFrame
  | SendFrame
  | AckFrame
  | PingFrame
  | WhoFrame
  | AdminFrame
  | FanoutFrame
  | RoomFrame
  | BlobNewFrame
  | BlobPutFrame
  | BlobGetFrame
  | BlobDoneFrame;

// ── relay → client (§6.2) ────────────────────────────────────────────────────────────────────────────────────────

/** Answer to `hello`: the relay id and this connection's nonce (both 32 bytes), and the relay's limits. */
export interface ChallengeFrame {
  t: 'challenge';
  v: number;
  relay: Uint8Array;
  nonce: Uint8Array;
  maxFrame: number;
  maxEnvelope: number;
}
/** Authentication succeeded; `registered` is true if this login created the account. */
export interface WelcomeFrame {
  t: 'welcome';
  user: string;
  mode: Mode;
  registered: boolean;
}
/** Answer to `lookup`. The client MUST verify it (§3.2). */
export interface BundleFrame {
  t: 'bundle';
  rid: number;
  user: string;
  idpk: Uint8Array;
  encpk: Uint8Array;
  bsig: Uint8Array;
}
/** The envelope sent under `id` is durably stored. */
export interface SentFrame {
  t: 'sent';
  rid: number;
  id: Uint8Array;
}
/**
 * An envelope from the mailbox; `ts` is the relay's receive time in ms since the epoch. With `eph: true` it was an
 * ephemeral `send`, forwarded and never stored: the client MUST NOT `ack` it.
 */
export interface MsgFrame {
  t: 'msg';
  id: Uint8Array;
  env: Uint8Array;
  ts: number;
  eph?: boolean;
}
/** Everything that was in the mailbox at login has been sent as `msg`. */
export interface SyncedFrame {
  t: 'synced';
}
export interface PongFrame {
  t: 'pong';
  rid: number;
}
/** Answer to `who`: the usernames with a `recv` session, sorted, at most MAX_ONLINE_USERS. */
export interface OnlineFrame {
  t: 'online';
  rid: number;
  users: string[];
}
/** A refusal (§10). `rid` is present when answering a request; when `fatal`, the relay closes after writing it. */
export interface ErrFrame {
  t: 'err';
  rid?: number;
  code: ErrorCode;
  msg: string;
  fatal: boolean;
}

/** The relay heard no frame for a while (§7 idle timeout): the client answers with any frame, `ping` is usual. */
export interface KeepaliveFrame {
  t: 'keepalive';
}
/**
 * Answer to `admin` op `users`: one page of accounts as parallel arrays (entry i of each describes one account),
 * sorted by name; `more` says a next page exists (ask again with `after` = the last name). Never content (§14).
 */
export interface AdminUsersFrame {
  t: 'admin_users';
  rid: number;
  names: string[];
  created: number[];
  online: boolean[];
  banned: boolean[];
  depth: number[];
  bytes: number[];
  more: boolean;
}
/** Answer to `admin` op `stats`. */
export interface AdminStatsFrame {
  t: 'admin_stats';
  rid: number;
  connections: number;
  online: number;
  users: number;
  queued: number;
  queuedBytes: number;
  uptimeMs: number;
  /** Relays sharing this relay's store that are alive (§9 "Several relays, one store"); absent on a lone relay. */
  relays?: number;
  /** Users receiving on any of those relays; absent on a lone relay. */
  receiving?: number;
}
/** Answer to the other `admin` ops; `invite` carries the new code for op `invite`. */
export interface AdminDoneFrame {
  t: 'admin_done';
  rid: number;
  op: AdminOp;
  invite?: string;
}

/** Answer to `fanout`: `codes[i]` is `""` when envelope i is durably stored, else the §10 code that refused it. */
export interface FanoutSentFrame {
  t: 'fanout_sent';
  rid: number;
  codes: string[];
}
/** Answer to `room` op `list`: the relay's room names, sorted. */
export interface RoomsFrame {
  t: 'rooms';
  rid: number;
  names: string[];
}
/** Answer to `room` ops `join`, `leave`, `members`: the room's members after the operation, sorted. */
export interface RoomMembersFrame {
  t: 'room_members';
  rid: number;
  room: string;
  users: string[];
}
/** Answer to the blob requests: `have` chunks of blob `bid` are stored (0 after `blob_done`). */
export interface BlobOkFrame {
  t: 'blob_ok';
  rid: number;
  bid: Uint8Array;
  have: number;
}
/** Sealed chunk `n` of blob `bid`, one of the answers to `blob_get`. */
export interface BlobDataFrame {
  t: 'blob_data';
  rid: number;
  bid: Uint8Array;
  n: number;
  data: Uint8Array;
}

/**
 * The session user's prekeys on the relay (§23.5): one-time counts and the signed keys' ids (absent: none stored).
 * With `rid` the answer to `prekey_put`; without, unsolicited (after `welcome`, or when a fetch left a count low).
 */
export interface PrekeyCountFrame {
  t: 'prekey_count';
  rid?: number;
  opk: number;
  pqopk: number;
  spkId?: number;
  pqspkId?: number;
}
/**
 * Answer to `prekey_get` (§23.4): `user`'s key bundle (§3.2), signed prekey, a one-time X25519 prekey if one was
 * left (the three `opk*` fields together or not at all), and an ML-KEM-768 key: one-time (`pqType` 4) or the last
 * resort (`pqType` 3). The client checks all of it (§3.2, §18.3).
 */
export interface PrekeyBundleFrame {
  t: 'prekey_bundle';
  rid: number;
  user: string;
  idpk: Uint8Array;
  encpk: Uint8Array;
  bsig: Uint8Array;
  spkId: number;
  spk: Uint8Array;
  spkSig: Uint8Array;
  opkId?: number;
  opk?: Uint8Array;
  opkSig?: Uint8Array;
  pqType: 3 | 4;
  pqId: number;
  pq: Uint8Array;
  pqSig: Uint8Array;
}

export type RelayFrame =
  | PrekeyCountFrame
  | PrekeyBundleFrame
  | FanoutSentFrame
  | RoomsFrame
  | RoomMembersFrame
  | ChallengeFrame
  | WelcomeFrame
  | BundleFrame
  | SentFrame
  | MsgFrame
  | SyncedFrame
  | PongFrame
  | OnlineFrame
  | ErrFrame
  | KeepaliveFrame
  | AdminUsersFrame
  | AdminStatsFrame
  | AdminDoneFrame
  | BlobOkFrame
  | BlobDataFrame;

export type Frame = ClientFrame | RelayFrame;
export type ClientFrameType = ClientFrame['t'];
export type RelayFrameType = RelayFrame['t'];
export type FrameType = Frame['t'];

/** The `t` values a relay accepts (§6.1). */
export const CLIENT_FRAME_TYPES: readonly ClientFrameType[] = Object.freeze([
  'hello',
  'auth',
  'lookup',
  'send',
  'ack',
  'ping',
  'who',
  'admin',
  'fanout',
  'room',
  'blob_new',
  'blob_put',
  'blob_get',
  'blob_done',
  'prekey_put',
  'prekey_get',
]);
/** The `t` values a client accepts (§6.2). */
export const RELAY_FRAME_TYPES: readonly RelayFrameType[] = Object.freeze([
  'challenge',
  'welcome',
  'bundle',
  'sent',
  'msg',
  'synced',
  'pong',
  'online',
  'err',
  'keepalive',
  'admin_users',
  'admin_stats',
  'admin_done',
  'fanout_sent',
  'rooms',
  'room_members',
  'blob_ok',
  'blob_data',
  'prekey_count',
  'prekey_bundle',
]);
