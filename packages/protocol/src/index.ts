/**
 * @chat/protocol — the wire format shared by relay and client (PROTOCOL.md §5–§11): frame types, one pure codec,
 * an incremental stream decoder, limits and error codes. No I/O, no crypto.
 */
export * from './constants.js';
export { ERROR_CODES, ProtocolError, isErrorCode, type ErrorCode } from './errors.js';
export * from './frames.js';
export { decodeClientFrame, decodeRelayFrame, encodeFrame } from './codec.js';
export { FrameDecoder } from './decoder.js';
export { errFrame } from './err-frame.js';
export { AUTH_LABEL, AUTH_MODE_BYTES, authMessage } from './auth.js';
