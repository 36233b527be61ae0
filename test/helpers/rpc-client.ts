/**
 * A JSON-RPC 2.0 client for `chat daemon`'s socket written from docs/JSONRPC.md alone (node:net, newline-delimited
 * JSON), not from the CLI's own client: the tests check the wire as a bot in another language would see it.
 */
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface RpcResponse {
  jsonrpc: '2.0';
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: { code?: string; hint?: string } };
}

export interface RpcNotification {
  jsonrpc: '2.0';
  method: string;
  params: Record<string, unknown>;
}

/** The answer to a call still waiting when the socket closed (not a daemon's error: no daemon sent it). */
export const CONNECTION_CLOSED = {
  code: -32000,
  message: 'the connection closed before the answer came',
  data: { code: 'CONNECTION_CLOSED' },
} as const;

export class RpcClient {
  private nextId = 1;
  private buffered = '';
  private readonly waiting = new Map<number | string | null, (r: RpcResponse) => void>();
  readonly notifications: RpcNotification[] = [];
  /** Responses nobody asked for by id (e.g. to a malformed line: id null). */
  readonly unsolicited: RpcResponse[] = [];
  private readonly wakers: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffered += d;
      for (let nl = this.buffered.indexOf('\n'); nl !== -1; nl = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const msg = JSON.parse(line) as RpcResponse & Partial<RpcNotification>;
        if (msg.method !== undefined) this.notifications.push(msg as unknown as RpcNotification);
        else {
          const w = this.waiting.get(msg.id);
          if (w && msg.id !== null) {
            this.waiting.delete(msg.id);
            w(msg);
          } else this.unsolicited.push(msg);
        }
      }
      this.wakers.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((r) => socket.once('close', () => r()));
    this.closed.then(() => {
      // A call the daemon will never answer now (it was killed, or it closed the socket) gets an error answer at
      // once: a test that expected a result fails naming it, and one that killed the daemon goes on, not hangs.
      for (const [id, w] of this.waiting) w({ jsonrpc: '2.0', id, error: CONNECTION_CLOSED });
      this.waiting.clear();
      this.wakers.splice(0).forEach((w) => w());
    });
  }

  /** The same client over any duplex stream: `chat jsonrpc`'s stdin and stdout (Duplex.from). */
  static over(stream: Duplex): RpcClient {
    return new RpcClient(stream as Socket);
  }

  static connect(path: string): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path, () => {
        s.off('error', reject);
        resolve(new RpcClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Sends a request and resolves with the whole response object (result or error). */
  call(method: string, params?: unknown): Promise<RpcResponse> {
    const id = this.nextId++;
    if (this.socket.destroyed) return Promise.resolve({ jsonrpc: '2.0', id, error: CONNECTION_CLOSED });
    const done = new Promise<RpcResponse>((r) => this.waiting.set(id, r));
    this.writeLine(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    return done;
  }

  writeLine(line: string): void {
    this.socket.write(`${line}\n`);
  }

  /** Resolves once a notification satisfies `match` (waits for data, never for a clock). */
  async notification(match: (n: RpcNotification) => boolean): Promise<RpcNotification> {
    for (;;) {
      const found = this.notifications.find(match);
      if (found) return found;
      if (this.socket.destroyed) throw new Error('the daemon closed the connection');
      await new Promise<void>((r) => this.wakers.push(r));
    }
  }

  /** Resolves once an unsolicited response (id null) has arrived. */
  async nextUnsolicited(): Promise<RpcResponse> {
    for (;;) {
      const r = this.unsolicited.shift();
      if (r) return r;
      if (this.socket.destroyed) throw new Error('the daemon closed the connection');
      await new Promise<void>((res) => this.wakers.push(res));
    }
  }

  close(): void {
    this.socket.end();
  }
}
