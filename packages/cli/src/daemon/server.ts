/**
 * The daemon's side of each socket connection (the server is created with `allowHalfOpen`), and `chat jsonrpc`'s
 * stdin and stdout: lines in (lines.ts), JSON-RPC requests answered in order of completion, notifications out for a subscribed connection. A connection that sends a line over the limit gets one
 * error and is closed; one that stops reading while subscribed is dropped once too much is waiting for it.
 */
import type { Server, Socket } from 'node:net';
import type { JSONRPCRequest, JSONRPCResponse, JSONRPCServer } from 'json-rpc-2.0';
import type { Notification, Subscriber } from './hub.js';
import { LineSplitter } from './lines.js';
import { INTERNAL_ERROR } from './rpc-errors.js';
import type { ConnectionParams } from './methods.js';
import { jsonLine } from '../json-line.js';

/** The longest request line: a 60,000-byte body JSON-escaped (up to 6 bytes per byte) fits with room to spare. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** Unsent output a subscribed connection may leave waiting before it is closed (a bot that stopped reading). */
export const MAX_UNSENT_BYTES = 16 * 1024 * 1024;
export const INVALID_REQUEST = -32600;

export interface Connections {
  /** Closes every open connection (the daemon is stopping); resolves once each has closed (and been counted). */
  closeAll(): Promise<void>;
  /**
   * Resolves once no request is being answered on any connection: a daemon that stops answers what it has started (a
   * download it finished is not reported lost, hunt3) before it closes them.
   */
  idle(): Promise<void>;
}

export function serveConnections(
  server: Server,
  rpc: JSONRPCServer<ConnectionParams>,
  hub: { unsubscribe(s: Subscriber): void },
  onCount: (open: number) => void,
): Connections {
  const open = new Set<Socket>();
  let busy = 0;
  const wake: (() => void)[] = [];
  const requests = {
    add(n: 1 | -1) {
      busy += n;
      if (busy === 0) for (const w of wake.splice(0)) w();
    },
  };
  server.on('connection', (socket) => {
    open.add(socket);
    onCount(open.size);
    socket.on('error', () => socket.destroy());
    const stream = { input: socket, output: socket, close: () => socket.destroy(), end: () => socket.end() };
    serveStream(stream, rpc, hub, MAX_UNSENT_BYTES, requests);
    socket.on('close', () => {
      open.delete(socket);
      onCount(open.size);
    });
  });
  return {
    async closeAll() {
      const closed = [...open].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
      for (const s of open) s.destroy();
      await Promise.all(closed);
    },
    idle: () => (busy === 0 ? Promise.resolve() : new Promise<void>((resolve) => wake.push(resolve))),
  };
}

/** Both ends of one JSON-RPC connection: a socket, or stdin and stdout for `chat jsonrpc`. */
export interface Stream {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { readonly writableLength: number; readonly destroyed: boolean };
  /** Drops the connection now (a client that stopped reading). */
  close(): void;
  /** Ends our side once every answer is written (the client sent its last request). */
  end(): void;
}

/**
 * One request line to `rpc`. json-rpc-2.0 takes what JSON.parse gives it at its word: a request whose id is not a
 * string, a number or null (an object, an array, a boolean) was answered with that id echoed (JSON-RPC 2.0 §4; hunt1),
 * and a batch holding something that is not an object (`[null]`) made it throw, which ended the daemon (review
 * rev15). Anything in a request's place that is not a plain object, or has such an id, is replaced by an invalid
 * request before the library sees it, so it is answered -32600 with id null, alone or in a batch. A line that is not
 * JSON goes to the library as it is, for its -32700. A batch's answers are always an array.
 */
function receiveLine(
  rpc: JSONRPCServer<ConnectionParams>,
  line: string,
  params: ConnectionParams,
): PromiseLike<JSONRPCResponse | JSONRPCResponse[] | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return rpc.receiveJSON(line, params);
  }
  const invalid = { jsonrpc: 'not a request: an object with a string, number or null id' };
  const checked = (r: unknown): unknown =>
    r === null || typeof r !== 'object' || Array.isArray(r) || ('id' in r && !isValidId(r.id)) ? invalid : r;
  if (!Array.isArray(parsed) || parsed.length === 0) return rpc.receive(checked(parsed) as JSONRPCRequest, params);
  // A batch is answered with an array even when it holds one request (§6); the library unwraps a single answer.
  return rpc
    .receive(parsed.map(checked) as JSONRPCRequest[], params)
    .then((r) => (r === null || Array.isArray(r) ? r : [r]));
}

const isValidId = (id: unknown): boolean =>
  id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

/**
 * Serves one connection: requests in, answers out as each completes, notifications while subscribed. Resolves when
 * the input has ended and every answer is written (then `end` was called), or when the output is gone. A client
 * that leaves more than `maxUnsent` bytes of answers or notifications unread is dropped: one that kept sending
 * requests and never read grew the daemon's memory until it died (hunt2).
 */
export function serveStream(
  stream: Stream,
  rpc: JSONRPCServer<ConnectionParams>,
  hub: { unsubscribe(s: Subscriber): void },
  maxUnsent: number = MAX_UNSENT_BYTES,
  requests?: { add(n: 1 | -1): void },
): Promise<void> {
  const { input, output } = stream;
  const write = (value: unknown): void => {
    if (output.destroyed) return;
    if (output.writableLength > maxUnsent) {
      stream.close();
      return;
    }
    output.write(jsonLine(value));
  };
  const subscriber: Subscriber = {
    alive: () => !output.destroyed && !gone,
    notify(n: Notification) {
      write({ jsonrpc: '2.0', method: n.method, params: n.params });
    },
  };
  // A client may half-close after its last request (`printf … | socat - UNIX-CONNECT:…`): its answers still go
  // out, then the connection closes (a subscribed client that wants the stream keeps its side open).
  let inFlight = 0;
  let ended = false;
  let gone = false;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const finish = (): void => {
    if (gone) return;
    gone = true;
    hub.unsubscribe(subscriber);
    done();
  };
  const endIfDone = (): void => {
    if (ended && inFlight === 0) {
      stream.end();
      finish();
    }
  };
  const lines = new LineSplitter(
    MAX_REQUEST_BYTES,
    (line) => {
      inFlight++;
      requests?.add(1);
      void Promise.resolve(receiveLine(rpc, line, { subscriber }))
        .then(
          (response) => {
            if (response !== null) write(response);
          },
          // Whatever a line does, the daemon keeps serving: an answer, never an unhandled rejection (review rev15).
          () => write({ jsonrpc: '2.0', id: null, error: { code: INTERNAL_ERROR, message: 'internal error' } }),
        )
        .finally(() => {
          inFlight--;
          requests?.add(-1);
          endIfDone();
        });
    },
    () => {
      write({
        jsonrpc: '2.0',
        id: null,
        error: { code: INVALID_REQUEST, message: `request line longer than ${MAX_REQUEST_BYTES} bytes` },
      });
      stream.end();
      finish();
    },
  );
  input.on('data', (chunk: Buffer) => lines.push(chunk));
  input.on('end', () => {
    ended = true;
    endIfDone();
  });
  input.on('close', finish);
  output.on('close', finish);
  output.on('error', finish);
  return finished;
}
