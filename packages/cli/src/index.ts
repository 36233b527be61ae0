/**
 * @chat/cli — the engine behind the `chat` command, for other front ends (the interactive UI) to share:
 * one code path for sending, receiving, pinning keys and history.
 *
 * Importing this module does not load better-sqlite3; `Messenger.open` does.
 */
export {
  Messenger,
  type MessengerEvents,
  type MessengerOptions,
  type SentMessage,
  type ReceivedMessage,
  type HeldMessage,
  type RejectedMessage,
} from './engine/messenger.js';
export type { ReceiveOptions, ReceiveSummary } from './engine/receive/receiver.js';
export {
  Connection,
  CONNECT_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  type ConnectOptions,
  type ConnectionEvents,
  type ConnectionState,
} from './engine/net/connection.js';
export { login, type LoginResult, type LoginOptions } from './engine/account.js';
export {
  adminRequest,
  adminOn,
  toAnswer,
  type AdminAnswer,
  type AdminAccount,
  type AdminRequest,
  type AdminOp,
} from './engine/admin.js';
export { Profile, profileHome, type ChatConfig, type Env, type IdentityFileV1 } from './engine/profile.js';
export type {
  Contact,
  PendingKey,
  TrustState,
  StoredMessage,
  RejectedEnvelope,
  Direction,
} from './engine/store/store.js';
export {
  parseTrustNewIdentities,
  safetyNumberView,
  trustContact,
  TRUST_NEW_IDENTITIES,
  DEFAULT_TRUST_NEW_IDENTITIES,
  type TrustNewIdentities,
  type SafetyNumberView,
  type TrustResult,
  type Reconciled,
} from './engine/contacts/identities.js';
export {
  ChatError,
  ExitCode,
  exitCodeFor,
  fromRelayError,
  fromCryptoError,
  type ChatErrorCode,
  type ClientErrorCode,
} from './engine/errors.js';
export {
  parseRelayAddress,
  formatRelayAddress,
  formatPinnedAddress,
  DEFAULT_RELAY,
  type RelayAddress,
} from './engine/address.js';
export { normalizeUsername } from './engine/username.js';
export { VERSION, AGENT } from './version.js';
