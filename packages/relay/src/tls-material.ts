/**
 * The relay's TLS certificate (PROTOCOL.md §5.1). On first start it makes an Ed25519 key and a self-signed
 * certificate with @peculiar/x509 and keeps them in the data directory (`tls-key.pem` and `tls-cert.pem`, both 0600); later
 * starts reuse them, so the fingerprint in the relay's `chat://` address stays the same. An operator may bring their
 * own pair instead (`--tls-cert`, `--tls-key`).
 */
import { X509Certificate, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { relayCertFingerprint } from '@chat/crypto';
import { readDataFile } from './data-dir.js';
import { DataDirUnsafeError, RelayTlsError } from './errors.js';

export const TLS_CERT_FILE = 'tls-cert.pem';
export const TLS_KEY_FILE = 'tls-key.pem';
/** A self-signed certificate is valid this long; clients pin its key, not a CA, so the date only has to be sane. */
const VALIDITY_DAYS = 100 * 365;
/** PKCS #8 prefix of a raw Ed25519 seed (RFC 8410 §7): the seed comes from randomBytes, not generateKeyPair. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
  /** §5.1: base64url(SHA-256(SPKI DER)) of the certificate's key. */
  fingerprint: string;
  /** True if this call created the pair (first start). */
  created: boolean;
}

/** The fingerprint of a PEM certificate, and a check that `keyPem` is its private key. @throws {RelayTlsError} */
export function inspectTlsPair(certPem: string, keyPem: string, where: string): string {
  let cert: X509Certificate;
  let pub;
  try {
    cert = new X509Certificate(certPem);
    pub = createPublicKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new RelayTlsError('TLS_FILES', `${where}: not a PEM certificate and private key (${(err as Error).message})`);
  }
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  if (!spki.equals(pub.export({ type: 'spki', format: 'der' }))) {
    throw new RelayTlsError('TLS_KEY_MISMATCH', `${where}: the private key does not belong to the certificate`);
  }
  return relayCertFingerprint(spki);
}

/** Reads an operator's certificate and key. @throws {RelayTlsError} */
export function loadTlsFiles(certPath: string, keyPath: string): TlsMaterial {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(certPath, 'utf8');
    keyPem = readFileSync(keyPath, 'utf8');
  } catch (err) {
    throw new RelayTlsError('TLS_FILES', `cannot read the TLS certificate or key: ${(err as Error).message}`);
  }
  return { certPem, keyPem, fingerprint: inspectTlsPair(certPem, keyPem, `${certPath} / ${keyPath}`), created: false };
}

/** The pair in `dataDir`, created on first use. @throws {RelayTlsError} if the stored pair is damaged. */
export async function loadOrCreateTlsMaterial(dataDir: string): Promise<TlsMaterial> {
  const certPath = join(dataDir, TLS_CERT_FILE);
  const keyPath = join(dataDir, TLS_KEY_FILE);
  if (existsSync(certPath) || existsSync(keyPath)) {
    // Not loadTlsFiles: in the data directory the pair is read without following links, and checked (data-dir.ts).
    let certPem: string;
    let keyPem: string;
    try {
      certPem = readDataFile(certPath);
      keyPem = readDataFile(keyPath, true);
    } catch (err) {
      if (err instanceof DataDirUnsafeError) throw err;
      throw new RelayTlsError('TLS_FILES', `cannot read the TLS certificate or key: ${(err as Error).message}`);
    }
    return { certPem, keyPem, fingerprint: inspectTlsPair(certPem, keyPem, dataDir), created: false };
  }
  const { certPem, keyPem } = await createSelfSigned();
  // Key first: a crash between the two leaves no certificate without its key. Each file is written then renamed.
  writeAtomic(keyPath, keyPem);
  writeAtomic(certPath, certPem);
  return { certPem, keyPem, fingerprint: inspectTlsPair(certPem, keyPem, dataDir), created: true };
}

/** Written 0600 to a fresh temporary name ('wx': never through a file or link already there), then renamed. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true }); // a leftover of a crash (a link is removed, not followed)
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

async function createSelfSigned(): Promise<{ certPem: string; keyPem: string }> {
  // Loaded only here: the library is needed once per data directory.
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as never);
  const pkcs8 = Buffer.concat([ED25519_PKCS8_PREFIX, randomBytes(32)]);
  const privateObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const alg = { name: 'Ed25519' };
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    createPublicKey(privateObject).export({ type: 'spki', format: 'der' }),
    alg,
    true,
    ['verify'],
  );
  pkcs8.fill(0);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; a clear top bit keeps it positive.
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: 'CN=chat-relay',
    notBefore: new Date(now - 24 * 3600 * 1000),
    notAfter: new Date(now + VALIDITY_DAYS * 24 * 3600 * 1000),
    signingAlgorithm: alg,
    keys: { privateKey: privateKey as never, publicKey: publicKey as never },
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return { certPem: cert.toString('pem'), keyPem: privateObject.export({ type: 'pkcs8', format: 'pem' }) as string };
}
