export { startRelay, DEFAULT_QUOTA, DEFAULT_MAILBOX_TTL_MS } from './server.js';
export { DEFAULT_HOST } from './config.js';
export type { RelayOptions, RunningRelay } from './server.js';
export { RelayStoreError, type RelayStoreErrorCode } from './errors.js';
export { jsonLogger, silentLogger, type Logger, type LogEvent } from './log.js';
export type {
  MailboxStore,
  MailboxQuota,
  UserRecord,
  EnvelopeInput,
  StoredEnvelope,
  PutResult,
} from './store/mailbox-store.js';
export { openSqliteStore } from './store/sqlite-store.js';
export type { AccountStore } from './store/accounts.js';
export type { RoomStore } from './store/rooms.js';
export { openRelayStores, type RelayStores } from './store/open.js';
export { createMemoryStore } from './store/memory-store.js';
export { LIVENESS_LOCK_PREFIX } from './store/postgres-liveness.js';
export {
  loadOrCreateTlsMaterial,
  loadTlsFiles,
  TLS_CERT_FILE,
  TLS_KEY_FILE,
  type TlsMaterial,
} from './tls-material.js';
export { RelayTlsError, type RelayTlsErrorCode, DataDirUnsafeError } from './errors.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { resolveConfig, describeConfig, ConfigError, type RelayConfig, type Registration } from './config.js';
export { DataDirInUseError, controlRequest } from './admin/control.js';
export type { Metrics } from './metrics.js';
export { BlobStore, DEFAULT_BLOB_LIMITS, fileBlobs, type BlobLimits } from './blobs/store.js';
export type { Blobs } from './blobs/rules.js';
