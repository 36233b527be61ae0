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
