/**
 * TLS 1.3 on an accepted TCP socket (PROTOCOL.md §5.1), with a plaintext answer for plaintext clients.
 */
import type { Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { encodeFrame, errFrame } from '@chat/protocol';
import type { RelayContext } from './context.js';
import type { TlsMaterial } from './tls-material.js';

/** The first byte of every TLS connection: a handshake record (RFC 8446 §5.1, ContentType 22). */
const TLS_HANDSHAKE_RECORD = 0x16;

export function createRelaySecureContext(material: TlsMaterial): SecureContext {
  return createSecureContext({ cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.3' });
}

/**
 * Looks at the first byte before choosing (§5.1): a TLS ClientHello is wrapped in a TLSSocket (the byte is pushed
 * back and TLSSocket reads it); anything else is a plaintext client, which gets one plaintext fatal `TLS_REQUIRED`
 * so that it can tell its user why, and is closed. A handshake that does not finish in time is dropped.
 */
export function acceptTls(
  socket: Socket,
  secureContext: SecureContext,
  ctx: RelayContext,
  onSecure: (s: Socket) => void,
): void {
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), ctx.limits.handshakeTimeoutMs);
  socket.once('close', () => clearTimeout(timer));
  socket.once('data', (first: Buffer) => {
    socket.pause();
    socket.unshift(first);
    if (first[0] !== TLS_HANDSHAKE_RECORD) {
      clearTimeout(timer);
      ctx.log({ event: 'tls_required', remote: socket.remoteAddress ?? '' });
      socket.end(
        encodeFrame(
          errFrame('TLS_REQUIRED', 'this relay requires TLS 1.3; connect with TLS, or run both sides with --insecure'),
        ),
      );
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext });
    tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
      ctx.log({ event: 'tls_failed', code: err.code ?? 'TLS_ERROR' });
      socket.destroy();
    });
    tlsSocket.once('secure', () => {
      clearTimeout(timer);
      onSecure(tlsSocket);
    });
  });
}
