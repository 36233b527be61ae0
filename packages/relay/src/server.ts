import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { join } from 'node:path';
import { DEFAULT_PORT, HANDSHAKE_TIMEOUT_MS, MAX_ENVELOPE_BYTES, encodeFrame, errFrame } from '@chat/protocol';
import { CommitQueue } from './commit-queue.js';
import type { RelayContext, Receiver } from './context.js';
import { silentLogger, type Logger } from './log.js';
import { Session } from './session.js';
import type { MailboxQuota } from './store/mailbox-store.js';
import { openSqliteStore } from './store/sqlite-store.js';
import { loadOrCreateTlsMaterial, loadTlsFiles, type TlsMaterial } from './tls-material.js';

/** The first byte of every TLS connection: a handshake record (RFC 8446 §5.1, ContentType 22). */
const TLS_HANDSHAKE_RECORD = 0x16;

/** Defaults documented in PROTOCOL.md §11. */
export const DEFAULT_QUOTA: MailboxQuota = { maxMessages: 10_000, maxBytes: 64 * 1024 * 1024 };
export const DEFAULT_MAILBOX_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const DEFAULT_HOST = '127.0.0.1';
const EXPIRY_SWEEP_MS = 60 * 60 * 1000;
const SHUTDOWN_GRACE_MS = 2_000;

export interface RelayOptions {
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 7717. */
  port?: number;
  /** Directory for `relay.db` (created 0700 if missing). */
  dataDir: string;
  quota?: Partial<MailboxQuota>;
  mailboxTtlMs?: number;
  handshakeTimeoutMs?: number;
  log?: Logger;
  /** Clock, for expiry tests. */
  now?: () => number;
  /**
   * Transport (PROTOCOL.md §5.1). Default: TLS 1.3 with the key and self-signed certificate kept in `dataDir`
   * (created on first start). `{ certPath, keyPath }`: the operator's own pair. `false`: plaintext TCP (`--insecure`).
   */
  tls?: false | { certPath: string; keyPath: string };
}

export interface RunningRelay {
  readonly host: string;
  readonly port: number;
  readonly relayId: Uint8Array;
  /** §5.1 fingerprint of the certificate's key; undefined for a plaintext (`--insecure`) relay. */
  readonly certFingerprint: string | undefined;
  /** True if this start created the relay's key and self-signed certificate. */
  readonly certCreated: boolean;
  /** How many client connections are open. */
  connections(): number;
  /**
   * Graceful stop (PROTOCOL.md §7): stop accepting, tell every client `SHUTTING_DOWN`, commit what is queued,
   * close the database. Nothing acknowledged with `sent` is lost.
   */
  close(): Promise<void>;
}

/**
 * Opens the store in `dataDir` and starts serving.
 *
 * @throws RelayStoreError when the database is corrupt or from a newer relay; a listen error (e.g. EADDRINUSE).
 * @example
 *   const relay = await startRelay({ dataDir: '/var/lib/chat-relay', port: 0 });
 *   console.log(relay.port); await relay.close();
 */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  let material: TlsMaterial | undefined;
  if (options.tls === undefined) material = await loadOrCreateTlsMaterial(options.dataDir);
  else if (options.tls) material = loadTlsFiles(options.tls.certPath, options.tls.keyPath);
  const secureContext = material && createSecureContext({ cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.3' });
  const store = openSqliteStore(join(options.dataDir, 'relay.db'));
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const quota = { ...DEFAULT_QUOTA, ...options.quota };
  const ctx: RelayContext = {
    store,
    commits: new CommitQueue(store, quota),
    receivers: new Map<string, Receiver>(),
    log,
    limits: {
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      maxEnvelopeBytes: MAX_ENVELOPE_BYTES,
      mailboxTtlMs: options.mailboxTtlMs ?? DEFAULT_MAILBOX_TTL_MS,
    },
    now,
  };
  const sweep = () => {
    const n = store.expire(now());
    if (n > 0) log({ event: 'expired', count: n });
  };
  sweep();
  const sweeper = setInterval(sweep, EXPIRY_SWEEP_MS).unref();

  const sessions = new Set<Session>();
  const sockets = new Set<Socket>();
  let nextConn = 1;
  const startSession = (socket: Socket): void => {
    const session = new Session(ctx, socket, nextConn++);
    sessions.add(session);
    socket.on('close', () => sessions.delete(session));
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (secureContext) acceptTls(socket, secureContext, ctx, startSession);
    else startSession(socket);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    clearInterval(sweeper);
    store.close();
    throw err;
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay is not listening on TCP');
  log({ event: 'listening', host: address.address, port: address.port });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      log({ event: 'shutdown', connections: sockets.size });
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Commit what is queued and let its `sent` replies go out before telling clients we are leaving.
      ctx.commits.flush();
      await new Promise((resolve) => setImmediate(resolve));
      for (const session of sessions) session.fail('SHUTTING_DOWN', 'the relay is shutting down');
      const deadline = setTimeout(() => sockets.forEach((s) => s.destroy()), SHUTDOWN_GRACE_MS);
      await stopped;
      clearTimeout(deadline);
      clearInterval(sweeper);
      ctx.commits.flush();
      store.close();
    })());

  return {
    host: address.address,
    port: address.port,
    relayId: store.relayId,
    certFingerprint: material?.fingerprint,
    certCreated: material?.created ?? false,
    connections: () => sockets.size,
    close,
  };
}

/**
 * Looks at the first byte before choosing (§5.1): a TLS ClientHello is wrapped in a TLSSocket (the byte is pushed
 * back and TLSSocket reads it); anything else is a plaintext client, which gets one plaintext fatal `TLS_REQUIRED`
 * so that it can tell its user why, and is closed. A handshake that does not finish in time is dropped.
 */
function acceptTls(socket: Socket, secureContext: SecureContext, ctx: RelayContext, startSession: (s: Socket) => void): void {
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), ctx.limits.handshakeTimeoutMs);
  socket.once('close', () => clearTimeout(timer));
  socket.once('data', (first: Buffer) => {
    socket.pause();
    socket.unshift(first);
    if (first[0] !== TLS_HANDSHAKE_RECORD) {
      clearTimeout(timer);
      ctx.log({ event: 'tls_required', remote: socket.remoteAddress ?? '' });
      socket.end(encodeFrame(errFrame('TLS_REQUIRED', 'this relay requires TLS 1.3; connect with TLS, or run both sides with --insecure')));
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
      startSession(tlsSocket);
    });
  });
}
