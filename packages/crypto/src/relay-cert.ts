/**
 * The relay certificate fingerprint of PROTOCOL.md §5.1: what a `chat://<fingerprint>@host:port` address pins.
 * It covers the certificate's public key (SPKI), not the whole certificate, so an operator may re-issue or renew a
 * certificate for the same key without breaking every client's pin.
 */
import { createHash } from 'node:crypto';

/** Length in characters of a relay certificate fingerprint: base64url without padding of 32 bytes. */
export const RELAY_CERT_FINGERPRINT_LENGTH = 43;

const FINGERPRINT_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * `base64url(SHA-256(spki_der))` with no padding (RFC 4648 §5), 43 characters.
 *
 * @param spkiDer the DER SubjectPublicKeyInfo of the relay certificate's key (RFC 5280 §4.1.2.7).
 * @throws {TypeError} if `spkiDer` is empty.
 * @example relayCertFingerprint(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
 */
export function relayCertFingerprint(spkiDer: Uint8Array): string {
  if (!(spkiDer instanceof Uint8Array) || spkiDer.length === 0)
    throw new TypeError('relayCertFingerprint: expected the DER SPKI bytes');
  return createHash('sha256').update(spkiDer).digest('base64url');
}

/** True if `text` has the shape of a relay certificate fingerprint (43 base64url characters, §5.1). */
export function isRelayCertFingerprint(text: string): boolean {
  if (!FINGERPRINT_PATTERN.test(text)) return false;
  // 43 characters carry 258 bits: the last character must leave the two spare bits zero (canonical encoding).
  return Buffer.from(text, 'base64url').toString('base64url') === text;
}
