import type { Blobs } from './blobs/rules.js';
import { DEFAULT_BLOB_LIMITS, type BlobLimits } from './blobs/store.js';
import { createServer, type Server, type Socket } from 'node:net';
import { DEFAULT_PORT, HANDSHAKE_TIMEOUT_MS, MAX_ENVELOPE_BYTES } from '@chat/protocol';
import { DataDirInUseError, controlSocketAlive, startControlSocket } from './admin/control.js';
import { makeDirs } from '@chat/protocol/dirs';
import { checkDataDir } from './data-dir.js';
import { parseAdmins } from './admins.js';
import { CommitQueue } from './commit-queue.js';
import { DEFAULT_HOST, type Registration } from './config.js';
import type { Kickable, PrekeyListener, RelayContext, Receiver } from './context.js';
import { PrekeyBudget } from './prekeys/budget.js';
import { ConnectionGate } from './gate.js';
import { DEFAULT_LIMITS, UserRates, type Limits } from './limits.js';
import { silentLogger, type Logger } from './log.js';
import { Metrics, serveMetrics } from './metrics.js';
import { DEFAULT_ROOMS, RoomRegistry } from './rooms.js';
import { createShareTagger } from './sender-share.js';
import { Session } from './session.js';
import { CLUSTER_DEFAULTS, type ClusterTiming } from './store/cluster.js';
import { clusterHooks } from './cluster-hooks.js';
import type { MailboxQuota } from './store/mailbox-store.js';
import { openRelayStores, type RelayStores } from './store/open.js';
import { acceptTls, createRelaySecureContext } from './tls-accept.js';
import { inspectTlsPair, loadOrCreateTlsMaterial, loadTlsFiles, type TlsMaterial } from './tls-material.js';

/** Defaults documented in PROTOCOL.md §11. */
export const DEFAULT_QUOTA: MailboxQuota = { maxMessages: 10_000, maxBytes: 64 * 1024 * 1024 };
export const DEFAULT_MAILBOX_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const EXPIRY_SWEEP_MS = 60 * 60 * 1000;
/**
 * How often the WAL is checkpointed and truncated, so that what `secure_delete` zeroed in the database (acknowledged
 * envelopes, handed-out one-time prekeys) does not survive in old WAL frames either (SECURITY.md).
 */
const SCRUB_MS = 60 * 1000;
const SHUTDOWN_GRACE_MS = 2_000;

export interface RelayOptions {
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 7717. */
  port?: number;
  /** Directory for `relay.db` (created 0700 if missing). */
  dataDir: string;
  /**
   * Where relay state lives (issue 17): a `postgres://user@host:port/db` URL, or undefined for SQLite files in
   * `dataDir` (the default). The TLS key and certificate and the control socket stay in `dataDir` either way.
   */
  store?: string;
  quota?: Partial<MailboxQuota>;
  mailboxTtlMs?: number;
  handshakeTimeoutMs?: number;
  /** Limits of PROTOCOL.md §11; unset ones take DEFAULT_LIMITS (`quota` and `handshakeTimeoutMs` override these). */
  limits?: Partial<Limits>;
  /** File transfer limits (PROTOCOL.md §16.4); unset ones take DEFAULT_BLOB_LIMITS. */
  blobs?: Partial<BlobLimits>;
  /**
   * Admins (§14.1) as `name:fingerprint` entries: the username and the fingerprint (§3.3) of the identity key it must
   * log in with. Such a name registers without an invite only with that key.
   */
  admins?: readonly string[];
  /** Public rooms the relay advertises (§15.6); default `general`. Members are kept in `rooms.db` in `dataDir`. */
  rooms?: readonly string[];
  /** `open` (default): the first login registers; `invite`: a new name needs a one-time invite code. */
  registration?: Registration;
  inviteTtlMs?: number;
  /** Prometheus `/metrics` (off unless given; port 0 picks one). */
  metrics?: { host: string; port: number };
  /** Serve the local admin control socket `control.sock` in the data directory (default true). */
  controlSocket?: boolean;
  /** Called when an admin asks for shutdown; default: `close()`. The binary exits 0 after closing. */
  onShutdownRequest?: () => void;
  log?: Logger;
  /**
   * Relays sharing a PostgreSQL store (docs/SCALING.md): how often each re-checks its receivers' mailboxes in case a
   * wake-up was lost, renews its heartbeat, and after how long without one its leases may be taken over. Defaults in
   * CLUSTER_DEFAULTS (5000, 2000, 8000 ms); tests shorten them.
   */
  cluster?: Partial<ClusterTiming>;
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
  /** The port of `/metrics`, when served. */
  readonly metricsPort: number | undefined;
  readonly metrics: Metrics;
  /**
   * Graceful stop (PROTOCOL.md §7): stop accepting, tell every client `SHUTTING_DOWN`, commit what is queued,
   * close the database. Nothing acknowledged with `sent` is lost.
   */
  close(): Promise<void>;
}

/**
 * Opens the store in `dataDir` and starts serving.
 *
 * @throws RelayStoreError when the database is corrupt or from a newer relay; DataDirInUseError when another relay
 *   serves `dataDir`; a listen error (e.g. EADDRINUSE).
 * @example
 *   const relay = await startRelay({ dataDir: '/var/lib/chat-relay', port: 0 });
 *   console.log(relay.port); await relay.close();
 */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const admins = parseAdmins(options.admins ?? []); // before anything is opened: a bad entry is a config error
  makeDirs(options.dataDir, 0o700);
  // Before anything in it is read or trusted (finding 3 of review 2026-12-06). From here on only the real path is
  // used: a symlink retargeted later moves nothing, and no ancestor of it is another user's (review 2, finding 1).
  const dataDir = checkDataDir(options.dataDir);
  // Before touching relay.db: a relay already running on this directory answers on its control socket.
  if (options.controlSocket !== false && (await controlSocketAlive(dataDir))) {
    throw new DataDirInUseError(`another relay is running on ${dataDir} (its control socket answers)`);
  }
  let material: TlsMaterial | undefined;
  // On a shared store the pair comes from the database (one identity for every relay, docs/SCALING.md).
  const sharedTls = options.tls === undefined && options.store !== undefined;
  if (options.tls === undefined && !sharedTls) material = await loadOrCreateTlsMaterial(dataDir);
  else if (options.tls) material = loadTlsFiles(options.tls.certPath, options.tls.keyPath);
  const stores = await openRelayStores(dataDir, options.store);
  if (sharedTls && stores.tlsPair) {
    try {
      material = await sharedTlsMaterial(stores.tlsPair.bind(stores), dataDir);
    } catch (err) {
      await stores.close();
      throw err;
    }
  }
  const secureContext = material && createRelaySecureContext(material);
  const { store, accounts } = stores;
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    ...options.limits,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? options.limits?.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
  };
  if (options.quota?.maxMessages !== undefined) limits.mailboxMaxMessages = options.quota.maxMessages;
  if (options.quota?.maxBytes !== undefined) limits.mailboxMaxBytes = options.quota.maxBytes;
  const quota: MailboxQuota = {
    maxMessages: limits.mailboxMaxMessages,
    maxBytes: limits.mailboxMaxBytes,
    perSender: { maxMessages: limits.mailboxSenderMaxMessages, maxBytes: limits.mailboxSenderMaxBytes },
    perAddress: { maxMessages: limits.mailboxAddressMaxMessages, maxBytes: limits.mailboxAddressMaxBytes },
  };
  let blobs: Blobs;
  try {
    blobs = stores.blobs({
      ...DEFAULT_BLOB_LIMITS,
      maxFileBytes: limits.maxFileBytes,
      blobQuotaBytes: limits.blobQuotaBytes,
      maxUploadsPerUser: limits.maxUploadsPerUser,
      ...options.blobs,
    });
  } catch (err) {
    await stores.close();
    throw err;
  }
  const metrics = new Metrics();
  const sessions = new Set<Session>();
  const sockets = new Set<Socket>();
  let requestShutdown = () => {};
  const ctx: RelayContext = {
    store,
    accounts,
    commits: new CommitQueue(store, quota, (_n, ms) => metrics.observeCommit(ms)),
    blobs,
    prekeys: stores.prekeys,
    prekeyBudget: new PrekeyBudget(limits),
    prekeyListeners: new Map<string, Set<PrekeyListener>>(),
    receivers: new Map<string, Receiver & Kickable>(),
    online: new Map<string, Set<Kickable>>(),
    log,
    limits: {
      ...limits,
      maxEnvelopeBytes: MAX_ENVELOPE_BYTES,
      mailboxTtlMs: options.mailboxTtlMs ?? DEFAULT_MAILBOX_TTL_MS,
    },
    policy: {
      admins,
      registration: options.registration ?? 'open',
      inviteTtlMs: options.inviteTtlMs ?? 7 * 24 * 3600 * 1000,
    },
    rates: new UserRates(limits),
    metrics,
    rooms: new RoomRegistry(stores.rooms, options.rooms ?? DEFAULT_ROOMS),
    startedAt: now(),
    shareTags: createShareTagger(),
    connections: () => sockets.size,
    requestShutdown: () => requestShutdown(),
    now,
  };
  metrics.gauges = async () => ({ connections: sockets.size, online: ctx.online.size, ...(await accounts.totals()) });
  const gate = new ConnectionGate(limits, () => sockets.size);
  const sweepHere = async () => {
    const n = await store.expire(now());
    if (n > 0) log({ event: 'expired', count: n });
    const b = await blobs.expire(now());
    if (b > 0) log({ event: 'blobs_expired', count: b });
    // On a shared store a user may be connected to another relay: spare those receiving anywhere (read once).
    const elsewhere = new Set(ctx.cluster ? await ctx.cluster.receivers(2 ** 31 - 1) : []);
    const gone = await accounts.expireUnused(
      now() - limits.unusedAccountTtlMs,
      (u) => ctx.online.has(u) || elsewhere.has(u),
    );
    if (gone.length > 0) log({ event: 'accounts_expired', count: gone.length });
  };
  // With other relays on the store, one sweep at a time: the others skip theirs while it runs.
  const sweep = async () => {
    await (ctx.cluster ? ctx.cluster.exclusive('sweep', sweepHere) : sweepHere());
  };
  let sweeping: Promise<void> = Promise.resolve();
  const sweepLogged = () => {
    sweeping = sweep().catch((err: unknown) => log({ event: 'store_error', error: (err as Error).message }));
  };
  try {
    ctx.cluster = await stores.join?.(clusterHooks(ctx), { ...CLUSTER_DEFAULTS, ...options.cluster });
    const cluster = ctx.cluster;
    if (cluster) metrics.clusterGauges(() => cluster.census());
    await sweep();
  } catch (err) {
    await ctx.cluster?.close();
    await blobs.close();
    await stores.close();
    throw err;
  }
  const sweeper = setInterval(sweepLogged, EXPIRY_SWEEP_MS).unref();
  const scrubber = setInterval(() => {
    stores.scrub().catch((err: unknown) => log({ event: 'store_error', error: (err as Error).message }));
  }, SCRUB_MS).unref();
  const rateSweeper = setInterval(() => {
    ctx.rates.sweep(Date.now());
    ctx.prekeyBudget.sweep(Date.now());
    gate.sweep(Date.now());
  }, 10_000).unref();

  let nextConn = 1;
  const startSession = (socket: Socket): void => {
    const session = new Session(ctx, socket, nextConn++);
    sessions.add(session);
    socket.on('close', () => sessions.delete(session));
  };
  // Over TLS even a refusal is written inside TLS, so that the client can read its error code (§5.1, §11).
  const answer = secureContext
    ? (socket: Socket, reply: Uint8Array) =>
        acceptTls(socket, secureContext, ctx, (tls) => {
          tls.on('error', () => {});
          tls.end(reply);
          setTimeout(() => tls.destroy(), 1_000).unref();
        })
    : undefined;
  const server: Server = createServer((socket) => {
    if (!gate.admit(socket, ctx, answer)) return;
    metrics.connectionAccepted();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (secureContext) acceptTls(socket, secureContext, ctx, startSession);
    else startSession(socket);
  });

  /** Stops the timers and closes every store; the last step of a stop, or of a start that failed. */
  const releaseStores = async (): Promise<void> => {
    clearInterval(sweeper);
    clearInterval(scrubber);
    clearInterval(rateSweeper);
    await sweeping;
    await ctx.cluster?.close();
    await blobs.close();
    await stores.close();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await releaseStores();
    throw err;
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay is not listening on TCP');
  log({ event: 'listening', host: address.address, port: address.port });
  const extras: { close(): Promise<void> | void }[] = [];
  let metricsPort: number | undefined;
  try {
    if (options.metrics) {
      const m = await serveMetrics(metrics, options.metrics.host, options.metrics.port);
      extras.push({ close: () => new Promise<void>((r) => m.close(() => r())) });
      const a = m.address();
      if (a && typeof a !== 'string') {
        metricsPort = a.port;
        log({ event: 'metrics_listening', host: a.address, port: a.port });
      }
    }
    if (options.controlSocket !== false) extras.push(await startControlSocket(dataDir, ctx));
  } catch (err) {
    server.close();
    for (const e of extras) await e.close();
    await releaseStores();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      log({ event: 'shutdown', connections: sockets.size });
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Commit what is queued and let its `sent` replies go out before telling clients we are leaving.
      await ctx.commits.flush();
      await new Promise((resolve) => setImmediate(resolve));
      for (const session of sessions) session.fail('SHUTTING_DOWN', 'the relay is shutting down');
      const deadline = setTimeout(() => sockets.forEach((s) => s.destroy()), SHUTDOWN_GRACE_MS);
      await stopped;
      clearTimeout(deadline);
      for (const e of extras) await e.close();
      await ctx.commits.flush();
      await releaseStores();
    })());

  requestShutdown = options.onShutdownRequest ?? (() => void close());
  return {
    host: address.address,
    port: address.port,
    relayId: store.relayId,
    certFingerprint: material?.fingerprint,
    certCreated: material?.created ?? false,
    connections: () => sockets.size,
    metricsPort,
    metrics,
    close,
  };
}

/** The database's pair; this data directory's own (made if missing) becomes it when the database has none yet. */
async function sharedTlsMaterial(tlsPair: NonNullable<RelayStores['tlsPair']>, dataDir: string): Promise<TlsMaterial> {
  let created = false;
  const pair = await tlsPair(async () => {
    const mine = await loadOrCreateTlsMaterial(dataDir);
    created = mine.created;
    return mine;
  });
  const fingerprint = inspectTlsPair(pair.certPem, pair.keyPem, 'the TLS pair stored in the database');
  return { certPem: pair.certPem, keyPem: pair.keyPem, fingerprint, created: created && pair.offered };
}
