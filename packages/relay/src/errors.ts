/** Stable codes for failures of the relay itself (not protocol refusals, which are `ProtocolError`s). */
export type RelayStoreErrorCode = 'STORE_CORRUPT' | 'STORE_VERSION';

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
