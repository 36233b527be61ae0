/**
 * `chat jsonrpc`: the JSON-RPC API of docs/JSONRPC.md on stdin and stdout, for a bot that spawns chat (as
 * `signal-cli jsonRpc`). When this profile's daemon runs, every line is passed to it and back unchanged, so the bot
 * shares the daemon's session with every other front end. When none runs, this process opens the session itself
 * (unlocking the keys, holding the receiving session) and serves the same methods until stdin ends or a signal.
 * Nothing else is written to stdout; warnings go to stderr.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Socket } from 'node:net';
import { aborted } from '../engine/aborted.js';
import { ChatError } from '../engine/errors.js';
import { inertLine } from '../terminal-text.js';
import { daemonSocket } from './attach.js';
import type { Io } from './io.js';
import { warn } from './io.js';

export async function jsonrpc(io: Io): Promise<number> {
  const socket = await daemonSocket(io);
  return socket ? proxy(socket, io) : ownSession(io);
}

/**
 * Lines both ways until the daemon closes the connection. End of stdin half-closes it: the daemon answers what is
 * in flight, then closes. The daemon going away first is DAEMON_LOST (exit 5), as for `chat send`.
 */
async function proxy(socket: Socket, io: Io): Promise<number> {
  const decoder = new StringDecoder('utf8');
  socket.on('data', (chunk: Buffer) => io.stdout.write(decoder.write(chunk)));
  let inputEnded = false;
  io.stdin.on('data', (chunk: Buffer | string) => socket.write(chunk));
  io.stdin.on('end', () => {
    inputEnded = true;
    socket.end();
  });
  const stopped = aborted(io.signal).then(() => 'signal' as const);
  const closed = new Promise<'closed'>((resolve) => socket.once('close', () => resolve('closed')));
  socket.on('error', () => socket.destroy());
  const why = await Promise.race([stopped, closed]);
  socket.destroy();
  if (why === 'closed' && !inputEnded)
    throw new ChatError('DAEMON_LOST', 'the chat daemon closed the connection', {
      hint: 'check the daemon (it may have stopped); without one, chat jsonrpc opens its own session',
    });
  return 0;
}

/** No daemon: this process is the session, served on stdin / stdout. */
async function ownSession(io: Io): Promise<number> {
  const [{ openMessenger }, { Hub }, { rpcServer }, { serveStream }, { methodDeps, runSession }] = await Promise.all([
    import('./common.js'),
    import('../daemon/hub.js'),
    import('../daemon/methods.js'),
    import('../daemon/server.js'),
    import('./rpc-session.js'),
  ]);
  const messenger = await openMessenger(io, { connectEarly: 'recv' });
  try {
    messenger.on('warning', (w) => warn(io, inertLine(w)));
    const hub = new Hub(messenger);
    const rpc = rpcServer(Promise.resolve(methodDeps(messenger, hub, io)));
    const stop = new AbortController();
    void aborted(io.signal).then(() => stop.abort()); // also a signal that came while the session opened
    const output = process.stdout;
    const served = serveStream(
      { input: io.stdin, output, close: () => stop.abort(), end: () => stop.abort() },
      rpc,
      hub,
    );
    void served.then(() => stop.abort());
    await runSession(messenger, stop.signal);
    return 0;
  } finally {
    messenger.close();
  }
}
