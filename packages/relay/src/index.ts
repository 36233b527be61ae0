export { startRelay, DEFAULT_QUOTA, DEFAULT_MAILBOX_TTL_MS, DEFAULT_HOST } from './server.js';
export type { RelayOptions, RunningRelay } from './server.js';
export { RelayStoreError, type RelayStoreErrorCode } from './errors.js';
export { jsonLogger, silentLogger, type Logger, type LogEvent } from './log.js';
export type { MailboxStore, MailboxQuota, UserRecord, EnvelopeInput, StoredEnvelope, PutResult } from './store/mailbox-store.js';
export { openSqliteStore } from './store/sqlite-store.js';
export { createMemoryStore } from './store/memory-store.js';
export { loadOrCreateTlsMaterial, loadTlsFiles, TLS_CERT_FILE, TLS_KEY_FILE, type TlsMaterial } from './tls-material.js';
export { RelayTlsError, type RelayTlsErrorCode } from './errors.js';
