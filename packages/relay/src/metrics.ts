/**
 * Prometheus metrics in the text exposition format (version 0.0.4), hand-rolled: a handful of counters, gauges read
 * at scrape time, and one histogram. Labels carry only error codes and directions, never usernames or content.
 */
import { createServer, type Server } from 'node:http';

const COMMIT_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export class Metrics {
  connectionsTotal = 0;
  connectionsRejected = new Map<string, number>();
  authFailures = new Map<string, number>();
  authSuccesses = 0;
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  rejectedFrames = new Map<string, number>();
  private readonly commitCounts = new Array<number>(COMMIT_BUCKETS_S.length).fill(0);
  private commitSum = 0;
  private commitCount = 0;
  /** Gauges read when scraped. */
  gauges: () => { connections: number; online: number; users: number; queued: number; queuedBytes: number } = () => ({
    connections: 0, online: 0, users: 0, queued: 0, queuedBytes: 0,
  });

  static inc(map: Map<string, number>, key: string, n = 1): void {
    map.set(key, (map.get(key) ?? 0) + n);
  }

  observeCommit(ms: number): void {
    const s = ms / 1000;
    this.commitSum += s;
    this.commitCount++;
    COMMIT_BUCKETS_S.forEach((b, i) => {
      if (s <= b) this.commitCounts[i]!++;
    });
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) out.push(`${name}${labels} ${v}`);
    };
    const labelled = (label: string, m: Map<string, number>): [string, number][] =>
      [...m].sort().map(([k, v]) => [`{${label}="${k}"}`, v]);
    const g = this.gauges();
    metric('chat_relay_connections', 'gauge', 'Open client connections.', [['', g.connections]]);
    metric('chat_relay_connections_total', 'counter', 'Client connections accepted.', [['', this.connectionsTotal]]);
    metric('chat_relay_connections_rejected_total', 'counter', 'Connections refused by a limit, by error code.',
      labelled('code', this.connectionsRejected));
    metric('chat_relay_sessions_online', 'gauge', 'Users with an authenticated session.', [['', g.online]]);
    metric('chat_relay_auth_total', 'counter', 'Successful authentications.', [['', this.authSuccesses]]);
    metric('chat_relay_auth_failures_total', 'counter', 'Failed authentications, by error code.',
      labelled('code', this.authFailures));
    metric('chat_relay_messages_total', 'counter', 'Envelopes stored (in) and delivered (out).', [
      ['{direction="in"}', this.messagesIn],
      ['{direction="out"}', this.messagesOut],
    ]);
    metric('chat_relay_bytes_total', 'counter', 'Bytes read from (in) and written to (out) client sockets.', [
      ['{direction="in"}', this.bytesIn],
      ['{direction="out"}', this.bytesOut],
    ]);
    metric('chat_relay_rejected_frames_total', 'counter', 'err frames sent, by error code.',
      labelled('code', this.rejectedFrames));
    metric('chat_relay_users', 'gauge', 'Registered accounts.', [['', g.users]]);
    metric('chat_relay_mailbox_depth', 'gauge', 'Envelopes waiting in all mailboxes.', [['', g.queued]]);
    metric('chat_relay_mailbox_bytes', 'gauge', 'Bytes waiting in all mailboxes.', [['', g.queuedBytes]]);
    out.push('# HELP chat_relay_store_commit_seconds Time to commit one batch of envelopes to disk.');
    out.push('# TYPE chat_relay_store_commit_seconds histogram');
    COMMIT_BUCKETS_S.forEach((b, i) => out.push(`chat_relay_store_commit_seconds_bucket{le="${b}"} ${this.commitCounts[i]}`));
    out.push(`chat_relay_store_commit_seconds_bucket{le="+Inf"} ${this.commitCount}`);
    out.push(`chat_relay_store_commit_seconds_sum ${this.commitSum}`);
    out.push(`chat_relay_store_commit_seconds_count ${this.commitCount}`);
    return `${out.join('\n')}\n`;
  }
}

/** Serves `GET /metrics`; anything else is 404. */
export async function serveMetrics(metrics: Metrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metrics.render());
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
