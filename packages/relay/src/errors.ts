/** Stable codes for failures of the relay itself (not protocol refusals, which are `ProtocolError`s). */
export type RelayStoreErrorCode = 'STORE_CORRUPT' | 'STORE_VERSION' | 'STORE_UNAVAILABLE';

/** The relay's database cannot be used: the relay refuses to start rather than serve from it. */
export class RelayStoreError extends Error {
  override readonly name = 'RelayStoreError';
  constructor(
    readonly code: RelayStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Stable codes for TLS set-up failures at start (PROTOCOL.md §5.1). */
export type RelayTlsErrorCode = 'TLS_FILES' | 'TLS_KEY_MISMATCH';

/** The relay's certificate or key cannot be used: the relay refuses to start rather than serve without TLS. */
export class RelayTlsError extends Error {
  override readonly name = 'RelayTlsError';
  constructor(
    readonly code: RelayTlsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The data directory, or a file in it, could have been planted by another local user (wrong owner, group- or
 * world-writable, a symlink): the relay refuses to read or serve from it (data-dir.ts, SECURITY.md).
 */
export class DataDirUnsafeError extends Error {
  override readonly name = 'DataDirUnsafeError';
  readonly code = 'DATA_DIR_UNSAFE';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
