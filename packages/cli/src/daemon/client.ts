/**
 * A front end's connection to this profile's daemon (docs/JSONRPC.md): `chat send` and `chat recv` use it when a
 * daemon listens on the profile's socket, and open their own relay session when none does. Errors from the daemon
 * come back as the ChatErrors they were, so the command prints and exits exactly as without a daemon.
 */
import type { Socket } from 'node:net';
import { JSONRPCClient, JSONRPCErrorException } from 'json-rpc-2.0';
import { ChatError } from '../engine/errors.js';
import type { Notification } from './hub.js';
import { LineSplitter } from './lines.js';
import { fromRpcError } from './rpc-errors.js';
import { daemonSocketPath } from '../engine/home.js';
import { ownSocket, tryConnect } from './socket.js';

/** Responses and notifications can carry a whole history page; far above any line the daemon writes. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

export class DaemonClient {
  private readonly rpc: JSONRPCClient;
  private readonly listeners: ((n: Notification) => void)[] = [];
  private lost = false;
  /** Resolves when the daemon closes the connection (or we do). */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.rpc = new JSONRPCClient((request) => {
      socket.write(`${JSON.stringify(request)}\n`);
    });
    const lines = new LineSplitter(
      MAX_LINE_BYTES,
      (line) => this.onLine(line),
      () => socket.destroy(),
    );
    socket.on('data', (chunk: Buffer) => lines.push(chunk));
    socket.on('error', () => socket.destroy());
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.lost = true;
        this.rpc.rejectAllPendingRequests('the daemon closed the connection');
        resolve();
      }),
    );
  }

  /**
   * The daemon of the profile in `home`, or undefined when none is running (no socket, or a stale one).
   * @throws {ChatError} PROFILE_UNSAFE for a socket that is not ours.
   */
  static async connect(home: string): Promise<DaemonClient | undefined> {
    const path = daemonSocketPath(home);
    if (!ownSocket(path)) return undefined;
    const socket = await tryConnect(path);
    return socket ? new DaemonClient(socket) : undefined;
  }

  /** Calls `method`; @throws {ChatError} the daemon's error, or DAEMON_LOST if it went away first. */
  async request<T>(method: string, params?: Record<string, unknown>): Promise<T> {
    try {
      if (this.lost) throw new Error('closed');
      return (await this.rpc.request(method, params)) as T;
    } catch (err) {
      if (err instanceof JSONRPCErrorException && !this.lost) throw fromRpcError(err);
      // A `send` may have reached the relay before the daemon went: its history (or the recipient) knows.
      throw new ChatError('DAEMON_LOST', `the chat daemon closed the connection before answering ${method}`, {
        hint: 'check the daemon (it may have stopped); without one, chat opens its own session',
      });
    }
  }

  onNotification(listener: (n: Notification) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.socket.end();
  }

  private onLine(line: string): void {
    let value: { method?: unknown; id?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      return;
    }
    if (typeof value.method === 'string' && value.id === undefined) {
      for (const l of this.listeners) l(value as Notification);
    } else this.rpc.receive(value as Parameters<JSONRPCClient['receive']>[0]);
  }
}
