/**
 * Prometheus metrics through prom-client, one Registry per relay (a process may run many relays, as the tests do).
 * Labels carry only error codes and directions, never usernames or content. Default process metrics (CPU, memory,
 * file descriptors, event-loop lag) join the registry when the relay serves `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const COMMIT_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Values read when scraped. */
export interface MetricGauges {
  connections: number;
  online: number;
  users: number;
  queued: number;
  queuedBytes: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly connectionsTotal = this.counter('chat_relay_connections_total', 'Client connections accepted.');
  private readonly connectionsRejected = this.counter(
    'chat_relay_connections_rejected_total',
    'Connections refused by a limit, by error code.',
    ['code'],
  );
  private readonly authSuccesses = this.counter('chat_relay_auth_total', 'Successful authentications.');
  private readonly authFailures = this.counter(
    'chat_relay_auth_failures_total',
    'Failed authentications, by error code.',
    ['code'],
  );
  private readonly messages = this.counter('chat_relay_messages_total', 'Envelopes stored (in) and delivered (out).', [
    'direction',
  ]);
  private readonly bytes = this.counter(
    'chat_relay_bytes_total',
    'Bytes read from (in) and written to (out) client sockets.',
    ['direction'],
  );
  private readonly rejectedFrames = this.counter(
    'chat_relay_rejected_frames_total',
    'err frames sent, by error code.',
    ['code'],
  );
  private readonly commits = new Histogram({
    name: 'chat_relay_store_commit_seconds',
    help: 'Time to commit one batch of envelopes to disk.',
    buckets: COMMIT_BUCKETS_S,
    registers: [this.registry],
  });
  /** Gauges read when scraped; the relay replaces this once its stores are open. */
  gauges: () => MetricGauges | Promise<MetricGauges> = () => ({
    connections: 0,
    online: 0,
    users: 0,
    queued: 0,
    queuedBytes: 0,
  });

  constructor() {
    const gauge = (name: string, help: string, read: (g: MetricGauges) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set(read(await metrics.gauges()));
        },
      });
    const metrics = this;
    // This relay's own (sum them over relays) ...
    gauge('chat_relay_connections', 'Open client connections to this relay.', (g) => g.connections);
    gauge('chat_relay_sessions_online', 'Users with an authenticated session on this relay.', (g) => g.online);
    // ... and the store's, alike on every relay sharing it (take one relay's, or max, never the sum).
    gauge('chat_relay_users', 'Registered accounts (the whole store).', (g) => g.users);
    gauge('chat_relay_mailbox_depth', 'Envelopes waiting in all mailboxes (the whole store).', (g) => g.queued);
    gauge('chat_relay_mailbox_bytes', 'Bytes waiting in all mailboxes (the whole store).', (g) => g.queuedBytes);
  }

  /**
   * Gauges of relays sharing one store (docs/SCALING.md): the relays alive and the users receiving on any of them,
   * read from the store when scraped. Registered only by a relay on a shared store, so a lone relay shows none.
   */
  clusterGauges(census: () => Promise<{ relays: number; receiving: number }>): void {
    if (this.registry.getSingleMetric('chat_relay_cluster_relays')) return;
    const gauge = (name: string, help: string, read: (c: { relays: number; receiving: number }) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set(read(await census()));
        },
      });
    gauge('chat_relay_cluster_relays', "Relays alive on this relay's store (the whole store).", (c) => c.relays);
    gauge(
      'chat_relay_cluster_receivers',
      'Users receiving on any relay of the store (the whole store).',
      (c) => c.receiving,
    );
  }

  private counter<L extends string = never>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  /** Adds prom-client's default process metrics to this relay's registry (once). */
  collectProcessMetrics(): void {
    if (this.registry.getSingleMetric('process_cpu_seconds_total')) return;
    collectDefaultMetrics({ register: this.registry });
  }

  connectionAccepted(): void {
    this.connectionsTotal.inc();
  }
  connectionRejected(code: string): void {
    this.connectionsRejected.inc({ code });
  }
  authSucceeded(): void {
    this.authSuccesses.inc();
  }
  authFailed(code: string): void {
    this.authFailures.inc({ code });
  }
  /** `in`: envelopes stored; `out`: envelopes written to a receiver. */
  envelopes(direction: 'in' | 'out', n = 1): void {
    if (n > 0) this.messages.inc({ direction }, n);
  }
  socketBytes(direction: 'in' | 'out', n: number): void {
    this.bytes.inc({ direction }, n);
  }
  errSent(code: string): void {
    this.rejectedFrames.inc({ code });
  }
  observeCommit(ms: number): void {
    this.commits.observe(ms / 1000);
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Serves `GET /metrics`; anything else is 404. */
export async function serveMetrics(metrics: Metrics, host: string, port: number): Promise<Server> {
  metrics.collectProcessMetrics();
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      metrics.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics collection failed\n');
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found; try /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
