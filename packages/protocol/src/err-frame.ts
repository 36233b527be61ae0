import { MAX_ERROR_MESSAGE_BYTES } from './constants.js';
import { ERROR_CODES, type ErrorCode } from './errors.js';
import type { ErrFrame } from './frames.js';
import { truncateUtf8 } from './utf8.js';

/**
 * Builds an `err` frame (§6.2) with `fatal` taken from ERROR_CODES (§10). `msg` is cut to MAX_ERROR_MESSAGE_BYTES
 * UTF-8 bytes on a character boundary (lone surrogates become U+FFFD), so that an error can always be encoded.
 *
 * @throws {TypeError} if `code` is not a wire error code.
 * @example socket.write(encodeFrame(errFrame('UNKNOWN_USER', 'no user "bob" on this relay', frame.rid)))
 */
export function errFrame(code: ErrorCode, msg: string, rid?: number): ErrFrame {
  if (!Object.hasOwn(ERROR_CODES, code)) throw new TypeError(`errFrame: expected an ErrorCode, got ${String(code)}`);
  return {
    t: 'err',
    ...(rid === undefined ? {} : { rid }),
    code,
    msg: truncateUtf8(String(msg), MAX_ERROR_MESSAGE_BYTES),
    fatal: ERROR_CODES[code].fatal,
  };
}
