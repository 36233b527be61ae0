/**
 * Wire error codes (PROTOCOL.md §10) and the one error class this package throws for bad input.
 * Codes are stable: tests assert them, the relay sends them in `err.code`, and the spec documents them.
 */

export type ErrorCode =
  | 'BAD_FRAME'
  | 'FRAME_TOO_LARGE'
  | 'UNSUPPORTED_VERSION'
  | 'PROTOCOL_STATE'
  | 'HANDSHAKE_TIMEOUT'
  | 'BAD_USERNAME'
  | 'AUTH_FAILED'
  | 'KEY_MISMATCH'
  | 'ALREADY_RECEIVING'
  | 'UNKNOWN_USER'
  | 'ENVELOPE_TOO_LARGE'
  | 'MAILBOX_FULL'
  | 'INTERNAL'
  | 'SHUTTING_DOWN'
  | 'TLS_REQUIRED'
  | 'NOT_ONLINE'
  | 'TOO_MANY_CONNECTIONS'
  | 'CONNECT_RATE_LIMITED'
  | 'TOO_MANY_IP_CONNECTIONS'
  | 'TOO_MANY_SESSIONS'
  | 'REGISTRATION_RATE_LIMITED'
  | 'IDLE_TIMEOUT'
  | 'RATE_LIMITED'
  | 'BANNED'
  | 'INVITE_REQUIRED'
  | 'INVITE_INVALID'
  | 'KICKED'
  | 'FORBIDDEN'
  | 'UNKNOWN_ROOM'
  | 'FILE_TOO_LARGE'
  | 'QUOTA_EXCEEDED'
  | 'NO_SUCH_BLOB'
  | 'BLOB_CONFLICT'
  | 'BLOB_OUT_OF_ORDER'
  | 'BLOB_INCOMPLETE'
  | 'BAD_BLOB'
  | 'PREKEY_INVALID'
  | 'PREKEY_BAD_SIGNATURE'
  | 'PREKEY_LIMIT'
  | 'NO_PREKEYS';

/** Every wire error code with the `fatal` column and the "when" column of §10. A fatal error closes the connection. */
export const ERROR_CODES: Readonly<Record<ErrorCode, { readonly fatal: boolean; readonly description: string }>> =
  Object.freeze({
    BAD_FRAME: {
      fatal: true,
      description:
        'a body that is not msgpack, not a map, has an unknown `t`, wrong field types, missing or extra fields',
    },
    FRAME_TOO_LARGE: { fatal: true, description: 'a length prefix of 0 or over MAX_FRAME_BYTES' },
    UNSUPPORTED_VERSION: { fatal: true, description: '`hello.v` is not a version the relay speaks (§23.1)' },
    PROTOCOL_STATE: { fatal: true, description: "a frame not allowed in the connection's state (§7)" },
    HANDSHAKE_TIMEOUT: { fatal: true, description: 'no successful `auth` within 10 s of connecting' },
    BAD_USERNAME: { fatal: true, description: '`auth.user` is not a valid username' },
    AUTH_FAILED: {
      fatal: true,
      description: 'a bundle or auth signature does not verify, or a bundle key is not canonical',
    },
    KEY_MISMATCH: { fatal: true, description: 'the username is registered with another key bundle' },
    ALREADY_RECEIVING: { fatal: true, description: 'another `recv` session of the user is connected' },
    UNKNOWN_USER: { fatal: false, description: '`lookup` or `send` names a user that is not registered' },
    ENVELOPE_TOO_LARGE: { fatal: false, description: "`send.env` exceeds the relay's `maxEnvelope`" },
    MAILBOX_FULL: { fatal: false, description: "the recipient's mailbox is at its message or byte quota" },
    INTERNAL: { fatal: false, description: 'the relay failed to store; the client may retry' },
    SHUTTING_DOWN: { fatal: true, description: 'the relay is stopping' },
    TLS_REQUIRED: {
      fatal: true,
      description: 'a plaintext connection to a relay that requires TLS (sent unencrypted, then the relay closes)',
    },
    NOT_ONLINE: {
      fatal: false,
      description: 'an ephemeral `send` names a user with no `recv` session; nothing was stored',
    },
    TOO_MANY_CONNECTIONS: { fatal: true, description: 'the relay is at its maximum number of connections' },
    CONNECT_RATE_LIMITED: { fatal: true, description: 'too many new connections from this IP address per second' },
    TOO_MANY_IP_CONNECTIONS: {
      fatal: true,
      description: 'this IP address already has maxConnectionsPerIp connections open',
    },
    TOO_MANY_SESSIONS: { fatal: true, description: 'this account already has maxSessionsPerUser sessions open' },
    REGISTRATION_RATE_LIMITED: {
      fatal: true,
      description: 'this IP address registered new accounts faster than the relay allows',
    },
    IDLE_TIMEOUT: { fatal: true, description: 'no complete frame from the client within the idle timeout' },
    RATE_LIMITED: {
      fatal: false,
      description: "the user's message or byte rate is exceeded; the request was not carried out, retry later",
    },
    BANNED: { fatal: true, description: 'the account is banned on this relay' },
    INVITE_REQUIRED: { fatal: true, description: 'registration is invite-only and `auth` carried no invite' },
    INVITE_INVALID: { fatal: true, description: 'the invite code is unknown or already used' },
    KICKED: { fatal: true, description: 'an admin ended this session; `msg` carries the reason' },
    FORBIDDEN: { fatal: false, description: 'an `admin` frame from a user who is not an admin of this relay' },
    UNKNOWN_ROOM: { fatal: false, description: 'a `room` frame names a room this relay does not have (or none)' },
    // File transfer (§16.4).
    FILE_TOO_LARGE: { fatal: false, description: "`blob_new.size` is over the relay's maxFileBytes" },
    QUOTA_EXCEEDED: { fatal: false, description: "the sender's stored blobs would exceed blobQuotaBytes" },
    NO_SUCH_BLOB: { fatal: false, description: 'no such blob for this user (unknown, deleted, expired or not theirs)' },
    BLOB_CONFLICT: { fatal: false, description: '`blob_new` reuses a blob id with other parameters or another owner' },
    BLOB_OUT_OF_ORDER: { fatal: false, description: '`blob_put.n` is not the next chunk; `msg` says have=<n>' },
    BLOB_INCOMPLETE: { fatal: false, description: '`blob_get` before the upload finished' },
    BAD_BLOB: {
      fatal: false,
      description: 'sizes that cannot be a STREAM ciphertext, a wrong chunk size, `from` past the end',
    },
    // Prekeys (§23.7).
    PREKEY_INVALID: {
      fatal: false,
      description: '`prekey_put`: two signed keys of one type, a repeated (type, id), or a malformed key',
    },
    PREKEY_BAD_SIGNATURE: {
      fatal: false,
      description: "`prekey_put`: a prekey signature does not verify for the account's identity key and username",
    },
    PREKEY_LIMIT: { fatal: false, description: '`prekey_put`: the user would hold more one-time prekeys than allowed' },
    NO_PREKEYS: { fatal: false, description: '`prekey_get`: the user has published no signed prekeys (a v1 client)' },
  } satisfies Record<ErrorCode, { fatal: boolean; description: string }>);

for (const entry of Object.values(ERROR_CODES)) Object.freeze(entry);

/** True if `x` is one of the wire error codes of §10 (an own key of ERROR_CODES, so never `toString` and friends). */
export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.hasOwn(ERROR_CODES, x);
}

/**
 * A protocol violation or refusal with a stable wire code. The codec throws `BAD_FRAME` and `FRAME_TOO_LARGE`;
 * the relay throws the others and turns any of them into an `err` frame.
 *
 * @example
 * try { decodeClientFrame(body) } catch (e) { if (e instanceof ProtocolError) send(errFrame(e.code, e.message)) }
 */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  /** From ERROR_CODES: whether the connection must close after this error (§10). */
  readonly fatal: boolean;

  /** @throws {TypeError} if `code` is not a wire error code. */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    if (!isErrorCode(code)) throw new TypeError(`ProtocolError: expected an ErrorCode, got ${String(code)}`);
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
    this.fatal = ERROR_CODES[code].fatal;
  }
}
