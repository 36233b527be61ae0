/**
 * The client's one error class. Every failure a user can meet carries a stable `code` (tests assert it) and the
 * process exit code of PROTOCOL.md §12, so the binary only has to print and exit.
 */
import type { ErrorCode } from '@chat/protocol';
import { inertLine } from '../terminal-text.js';

/** PROTOCOL.md §12. */
export const ExitCode = {
  OK: 0,
  OTHER: 1,
  USAGE: 2,
  UNKNOWN_USER: 3,
  KEY_CHANGED: 4,
  UNREACHABLE: 5,
  REFUSED: 6,
  /** The private keys stay locked: wrong passphrase, or none available without a terminal. */
  LOCKED: 7,
  /** A one-shot send would have gone as a v1 envelope and was not allowed to (PROTOCOL.md §24.5). */
  V1_ONLY: 8,
  /** Stopped by SIGINT (128 + 2), as a shell reports it; `chat send` withdrew what the relay had not confirmed. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM (128 + 15). */
  TERMINATED: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes the client raises itself, beside the relay's wire codes (§10) and the crypto package's codes. */
export type ClientErrorCode =
  | 'USAGE'
  | 'BAD_USERNAME'
  | 'BODY_TOO_LARGE'
  | 'NO_IDENTITY'
  | 'BAD_PASSPHRASE'
  | 'PASSPHRASE_REQUIRED'
  | 'BAD_BACKUP'
  | 'IDENTITY_EXISTS'
  | 'NOT_LOGGED_IN'
  | 'PROFILE_CORRUPT'
  | 'PROFILE_UNSAFE'
  | 'HISTORY_UNREADABLE'
  | 'RELAY_UNREACHABLE'
  | 'CONNECTION_LOST'
  | 'TIMEOUT'
  | 'RELAY_PROTOCOL'
  | 'RELAY_CHANGED'
  | 'RELAY_CERT_MISMATCH'
  | 'TLS_FAILED'
  | 'KEY_CHANGED'
  | 'UNTRUSTED_IDENTITY'
  | 'SAFETY_NUMBER_MISMATCH'
  | 'NO_SUCH_CONTACT'
  | 'BUNDLE_INVALID'
  | 'NO_SUCH_GROUP'
  | 'NOT_GROUP_ADMIN'
  | 'NOT_IN_ROOM'
  | 'AMBIGUOUS_NAME'
  | 'GROUP_PENDING'
  // everyday messaging (PROTOCOL.md §17)
  | 'NO_SUCH_MESSAGE'
  | 'NOT_AUTHOR'
  | 'TARGET_DELETED'
  | 'BLOCKED'
  // file transfer (PROTOCOL.md §16)
  | 'NO_SUCH_TRANSFER'
  | 'FILE_UNREADABLE'
  | 'DOWNLOAD_PATH_UNSAFE'
  // another process of the profile (or client of its daemon) is downloading or declining that transfer now
  | 'DOWNLOAD_BUSY'
  // a profile or download directory that cannot be made (files.ts ensurePrivateDir)
  | 'DIRECTORY_NOT_CREATED'
  | 'STREAM_CHUNK_INVALID'
  | 'STREAM_TRUNCATED'
  | 'FILE_HASH_MISMATCH'
  // the local daemon (docs/JSONRPC.md)
  | 'DAEMON_RUNNING'
  | 'DAEMON_LOST'
  // the daemon was still unlocking its keys when the request came, and did not run it (daemon/register.ts gate)
  | 'DAEMON_STARTING'
  // protocol v2 (PROTOCOL.md §24)
  | 'V2_UNAVAILABLE'
  | 'DOWNGRADE_REFUSED'
  | 'PREKEY_INVALID'
  | 'PREKEY_BAD_SIGNATURE'
  // another writer kept changing a v2 session while a receive checked its messages (receive/receiver.ts)
  | 'SESSION_BUSY'
  // a one-shot command stopped by SIGINT / SIGTERM before it was done (commands/send-session.ts)
  | 'INTERRUPTED'
  | 'TERMINATED'
  | 'UNEXPECTED';

export type ChatErrorCode = ClientErrorCode | ErrorCode;

/** Exit code per error code; anything not listed is 1 ("any other failure"). */
const EXIT_CODES: Partial<Record<ChatErrorCode, ExitCode>> = {
  USAGE: ExitCode.USAGE,
  BAD_PASSPHRASE: ExitCode.LOCKED,
  BAD_BACKUP: ExitCode.USAGE,
  PASSPHRASE_REQUIRED: ExitCode.LOCKED,
  // chat.db does not open with the storage key of identity.json (§13.3): locked to these keys, like a wrong passphrase.
  HISTORY_UNREADABLE: ExitCode.LOCKED,
  BAD_USERNAME: ExitCode.USAGE,
  BODY_TOO_LARGE: ExitCode.USAGE,
  UNKNOWN_USER: ExitCode.UNKNOWN_USER,
  KEY_CHANGED: ExitCode.KEY_CHANGED,
  UNTRUSTED_IDENTITY: ExitCode.KEY_CHANGED,
  SAFETY_NUMBER_MISMATCH: ExitCode.KEY_CHANGED,
  NO_SUCH_CONTACT: ExitCode.UNKNOWN_USER,
  BUNDLE_INVALID: ExitCode.KEY_CHANGED,
  RELAY_UNREACHABLE: ExitCode.UNREACHABLE,
  CONNECTION_LOST: ExitCode.UNREACHABLE,
  TIMEOUT: ExitCode.UNREACHABLE,
  // A stopping relay is, to the user, a relay that went away: retrying later is the fix, not a changed request.
  SHUTTING_DOWN: ExitCode.UNREACHABLE,
  // Nothing was committed or acknowledged: receiving again is the fix (a live session does so itself).
  SESSION_BUSY: ExitCode.UNREACHABLE,
  INTERRUPTED: ExitCode.INTERRUPTED,
  TERMINATED: ExitCode.TERMINATED,
  RELAY_CHANGED: ExitCode.REFUSED,
  RELAY_CERT_MISMATCH: ExitCode.REFUSED,
  TLS_FAILED: ExitCode.REFUSED,
  TLS_REQUIRED: ExitCode.REFUSED,
  KEY_MISMATCH: ExitCode.REFUSED,
  ALREADY_RECEIVING: ExitCode.REFUSED,
  MAILBOX_FULL: ExitCode.REFUSED,
  AUTH_FAILED: ExitCode.REFUSED,
  ENVELOPE_TOO_LARGE: ExitCode.REFUSED,
  INTERNAL: ExitCode.REFUSED,
  BAD_FRAME: ExitCode.REFUSED,
  FRAME_TOO_LARGE: ExitCode.REFUSED,
  UNSUPPORTED_VERSION: ExitCode.REFUSED,
  PROTOCOL_STATE: ExitCode.REFUSED,
  HANDSHAKE_TIMEOUT: ExitCode.REFUSED,
  NOT_ONLINE: ExitCode.REFUSED,
  // Limits and admin actions (§10, §11, §14): a full or rate-limiting relay is one to retry later.
  TOO_MANY_CONNECTIONS: ExitCode.UNREACHABLE,
  TOO_MANY_IP_CONNECTIONS: ExitCode.UNREACHABLE,
  CONNECT_RATE_LIMITED: ExitCode.UNREACHABLE,
  IDLE_TIMEOUT: ExitCode.UNREACHABLE,
  RATE_LIMITED: ExitCode.REFUSED,
  TOO_MANY_SESSIONS: ExitCode.REFUSED,
  REGISTRATION_RATE_LIMITED: ExitCode.REFUSED,
  BANNED: ExitCode.REFUSED,
  INVITE_REQUIRED: ExitCode.REFUSED,
  INVITE_INVALID: ExitCode.REFUSED,
  KICKED: ExitCode.REFUSED,
  FORBIDDEN: ExitCode.REFUSED,
  // Groups and rooms (§15): a group or room that does not exist (for us) is like an unknown user.
  NO_SUCH_GROUP: ExitCode.UNKNOWN_USER,
  NOT_GROUP_ADMIN: ExitCode.USAGE,
  NOT_IN_ROOM: ExitCode.USAGE,
  // §15.7: `#name` names more than one group or room (choose with group:<id> / room:<name>); a pending invitation.
  AMBIGUOUS_NAME: ExitCode.USAGE,
  GROUP_PENDING: ExitCode.USAGE,
  NO_SUCH_MESSAGE: ExitCode.USAGE,
  NOT_AUTHOR: ExitCode.USAGE,
  TARGET_DELETED: ExitCode.USAGE,
  BLOCKED: ExitCode.USAGE,
  UNKNOWN_ROOM: ExitCode.UNKNOWN_USER,
  FILE_TOO_LARGE: ExitCode.REFUSED,
  QUOTA_EXCEEDED: ExitCode.REFUSED,
  NO_SUCH_BLOB: ExitCode.REFUSED,
  BLOB_CONFLICT: ExitCode.REFUSED,
  BLOB_OUT_OF_ORDER: ExitCode.REFUSED,
  BLOB_INCOMPLETE: ExitCode.REFUSED,
  BAD_BLOB: ExitCode.REFUSED,
  NO_SUCH_TRANSFER: ExitCode.USAGE,
  // The daemon went away mid-call: like a dropped relay connection, retrying (without it) is the fix.
  DAEMON_LOST: ExitCode.UNREACHABLE,
  DAEMON_STARTING: ExitCode.UNREACHABLE,
  V2_UNAVAILABLE: ExitCode.V1_ONLY,
  // The peer used v2 and this relay cannot give a session now: like a changed key, sending to it is blocked.
  DOWNGRADE_REFUSED: ExitCode.KEY_CHANGED,
  // A prekey bundle the relay served that fails §18.3 (the client's own check, like BUNDLE_INVALID): sending to that
  // contact is blocked. The relay refusing our own upload with these codes is only ever a warning (publish.ts).
  PREKEY_INVALID: ExitCode.KEY_CHANGED,
  PREKEY_BAD_SIGNATURE: ExitCode.KEY_CHANGED,
  PREKEY_LIMIT: ExitCode.REFUSED,
  // The recipient published no prekeys on this relay (§23.4): like an unknown user, nobody to start a session with.
  NO_PREKEYS: ExitCode.UNKNOWN_USER,
};

/** The exit code of §12 for an error code. */
export function exitCodeFor(code: ChatErrorCode): ExitCode {
  return EXIT_CODES[code] ?? ExitCode.OTHER;
}

export interface ChatErrorOptions extends ErrorOptions {
  /** The next step for the user, printed as `chat: hint: ...`. */
  hint?: string;
  /** For `RATE_LIMITED`: how long the relay asked us to wait before the same request can succeed (§10). */
  retryAfterMs?: number;
  /** For `RELAY_CERT_MISMATCH`: the fingerprint the relay presented (§5.1), for a hint naming its chat:// address. */
  presentedCert?: string;
  /** The envelope it was about stays in the durable outbox and goes later (a control message, send/queue.ts). */
  queued?: boolean;
}

/**
 * A failure with a stable code and its exit code.
 *
 * @example throw new ChatError('NO_IDENTITY', 'no identity in ~/.config/chat', { hint: 'run chat keygen' })
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ChatErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  /** Set for a `RATE_LIMITED` refusal that waiting will cure; absent when retrying cannot help. */
  readonly retryAfterMs: number | undefined;
  /** For `RELAY_CERT_MISMATCH`: the certificate fingerprint the relay presented. */
  readonly presentedCert: string | undefined;
  /** True when what failed to go now stays in the durable outbox and goes later. */
  readonly queued: boolean;

  constructor(code: ChatErrorCode, message: string, options: ChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
    this.presentedCert = options.presentedCert;
    this.queued = options.queued === true;
    this.code = code;
    this.exitCode = exitCodeFor(code);
    this.hint = options.hint;
  }
}

/** The hint the user gets for a refusal from the relay, where there is a next step. */
function relayHint(code: ErrorCode, user: string | undefined): string | undefined {
  const who = user ?? 'the user';
  switch (code) {
    case 'KEY_MISMATCH':
      return `${who} is registered on this relay with another key; choose another username, or use the profile (CHAT_HOME) that holds ${who}'s keys`;
    case 'ALREADY_RECEIVING':
      return 'stop the other chat recv, interactive session or chat daemon first (chat recv and the interactive session attach to a running chat daemon by themselves)';
    case 'UNKNOWN_USER':
      return `check the spelling; ${who} must run chat login on this relay first`;
    case 'MAILBOX_FULL':
      return `${who}'s mailbox is full until they run chat recv`;
    case 'SHUTTING_DOWN':
    case 'INTERNAL':
    case 'RATE_LIMITED':
    case 'TOO_MANY_CONNECTIONS':
    case 'TOO_MANY_IP_CONNECTIONS':
    case 'CONNECT_RATE_LIMITED':
      return 'try again in a moment';
    case 'TOO_MANY_SESSIONS':
      return 'this account has as many sessions open as the relay allows; close one (another chat, or a stuck script) and try again';
    case 'REGISTRATION_RATE_LIMITED':
      return 'this address registered many accounts lately; try again later, or ask the relay operator for an invite code';
    case 'TLS_REQUIRED':
      return 'log in without --insecure, with the chat://<fingerprint>@host:port address the relay prints';
    case 'INVITE_REQUIRED':
    case 'INVITE_INVALID':
      return 'ask the relay operator for an invite code';
    case 'FILE_TOO_LARGE':
      return 'this relay does not take files that large; split it or ask the operator to raise limits.maxFileBytes';
    case 'QUOTA_EXCEEDED':
      return 'wait until the recipients have accepted or declined your earlier files, or ask the operator to raise limits.blobQuotaBytes';
    case 'NO_SUCH_BLOB':
      return 'the relay no longer has this file (declined, received or expired); ask the sender to send it again';
    default:
      return undefined;
  }
}

/** Untrusted text for one line of a message (terminal-text.ts escapes what could drive a terminal), cut to 200. */
export function printable(text: string): string {
  const clean = inertLine(text);
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** The message the user reads for a relay refusal; the relay's own text is kept as detail. */
function relayMessage(code: ErrorCode, relayMsg: string, user: string | undefined): string {
  switch (code) {
    case 'ALREADY_RECEIVING':
      return `another session is already receiving for ${user ?? 'this user'} (ALREADY_RECEIVING)`;
    case 'KEY_MISMATCH':
      return `the relay refused the login: ${user ?? 'this username'} belongs to another key (KEY_MISMATCH)`;
    case 'UNKNOWN_USER':
      return `unknown user ${user ?? ''} on this relay (UNKNOWN_USER)`.replace('  ', ' ');
    case 'SHUTTING_DOWN':
      return 'the relay is shutting down (SHUTTING_DOWN)';
    case 'TLS_REQUIRED':
      return 'the relay requires TLS but this profile connects with --insecure (TLS_REQUIRED)';
    case 'INTERNAL':
      return `the relay failed to store or answer (INTERNAL${relayMsg ? `: ${relayMsg}` : ''})`;
    default:
      return `the relay refused: ${code}${relayMsg ? ` (${relayMsg})` : ''}`;
  }
}

/**
 * Maps an `err` frame (§6.2, §10) to a ChatError. `user` is whoever the refusal is about (our own name for
 * auth refusals, the recipient for `send`/`lookup`), for the message and hint.
 */
export function fromRelayError(code: ErrorCode, relayMsg: string, user?: string): ChatError {
  relayMsg = printable(relayMsg);
  const hint = relayHint(code, user);
  const options: ChatErrorOptions = hint === undefined ? {} : { hint };
  const wait = code === 'RATE_LIMITED' ? retryAfterMs(relayMsg) : undefined;
  if (wait !== undefined) options.retryAfterMs = wait;
  return new ChatError(code, relayMessage(code, relayMsg, user), options);
}

/**
 * The wait a `RATE_LIMITED` refusal names (§10: its `msg` contains `retry in <N> ms` when waiting will let the same
 * request through), capped at a minute; undefined when it names none (the request can never fit the byte burst).
 */
export function retryAfterMs(relayMsg: string): number | undefined {
  const m = /\bretry in (\d{1,9}) ms\b/.exec(relayMsg);
  return m ? Math.min(Number(m[1]), 60_000) : undefined;
}

/** Crypto error codes (the @chat/crypto `CryptoError.code` values) that the client handles. */
export const ENVELOPE_ERROR_CODES = [
  'ENVELOPE_MALFORMED',
  'ENVELOPE_OPEN_FAILED',
  'ENVELOPE_MISADDRESSED',
  'ENVELOPE_ID_MISMATCH',
  'ENVELOPE_BAD_SIGNATURE',
] as const;
export type EnvelopeErrorCode = (typeof ENVELOPE_ERROR_CODES)[number];

export function isEnvelopeErrorCode(code: unknown): code is EnvelopeErrorCode {
  return typeof code === 'string' && (ENVELOPE_ERROR_CODES as readonly string[]).includes(code);
}

/**
 * Maps an error thrown by @chat/crypto to a ChatError: `BODY_TOO_LARGE` is a usage error (§12), `BUNDLE_INVALID` an
 * untrusted key (exit 4); anything else in a place where the client did not expect it is internal.
 */
export function fromCryptoError(err: unknown, context = ''): ChatError {
  const code = (err as { code?: unknown } | null)?.code;
  const where = context ? `${context}: ` : '';
  if (code === 'BODY_TOO_LARGE')
    return new ChatError('BODY_TOO_LARGE', `${where}message body too large`, { cause: err });
  if (code === 'BUNDLE_INVALID')
    return new ChatError('BUNDLE_INVALID', `${where}the relay returned an invalid key bundle`, { cause: err });
  const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return new ChatError('UNEXPECTED', `${where}${detail}`, { cause: err });
}

/**
 * §17.4: throws `BLOCKED` if `user` is blocked. Every direct send checks it before anything is applied or queued:
 * texts, edits, deletes, reactions, file offers and answers.
 * @throws {ChatError} BLOCKED (exit 2).
 */
export function refuseBlocked(blocked: { has(user: string): boolean }, user: string): void {
  if (blocked.has(user))
    throw new ChatError('BLOCKED', `you blocked ${user}: nothing is sent to them`, {
      hint: `chat unblock ${user} first`,
    });
}
