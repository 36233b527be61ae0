/**
 * The light path of `chat send <user> <words>` while a daemon runs (issue 16's target: within 50 ms of bare Node
 * start-up). It loads no other module of the binary on success: one `send` request on the socket in plain node:net
 * and JSON, and the answer printed as commands/send.ts prints it (sent-output.ts). It only takes the case where
 * everything is as expected: the profile directory ours and not group/other-writable, the socket ours, a daemon
 * accepting. Anything else returns false before a byte is sent, and the full command (commands/send.ts, with
 * strict-modes.ts and daemon/socket.ts) runs instead and reports it exactly as it always has. An error answer is
 * printed by the full error path (loaded only then).
 */
import { lstatSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { daemonSocketPath, profileHome, type Env } from '../engine/home.js';
import type { SendResult } from '../daemon/methods.js';
import { printSent } from '../commands/sent-output.js';

/** Longest answer line read: a send result is small; anything longer is not a send result. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** True when the daemon took the send (the exit code is set); false when the full command should run instead. */
export async function daemonSend(env: Env, to: string, words: readonly string[], json: boolean): Promise<boolean> {
  if (env.CHAT_NO_DAEMON === '1' || words.length === 0) return false; // no words: the message comes from stdin
  const home = profileHome(env);
  const path = daemonSocketPath(home);
  const uid = process.getuid?.();
  try {
    const dir = statSync(home);
    const sock = lstatSync(path, { bigint: true }); // BigInt: socket.ts ownSocket says why
    // The checks of strict-modes.ts and socket.ts, as a yes/no: any doubt goes to the full path, which explains it.
    if ((dir.mode & 0o022) !== 0 || (uid !== undefined && dir.uid !== uid && dir.uid !== 0)) return false;
    if (!sock.isSocket() || (uid !== undefined && Number(sock.uid) !== uid)) return false;
  } catch {
    return false;
  }
  const socket = await connect(path);
  if (!socket) return false; // a stale socket: nobody accepts
  const request = { jsonrpc: '2.0', id: 1, method: 'send', params: { recipient: to, message: words.join(' ') } };
  socket.end(`${JSON.stringify(request)}\n`); // half-close: the daemon answers, then closes
  const answer = await firstLine(socket);
  let response: { result?: SendResult; error?: { code: number; message: string; data?: unknown } } | undefined;
  try {
    response = answer === undefined ? undefined : (JSON.parse(answer) as typeof response);
  } catch {
    response = undefined;
  }
  if (response?.result !== undefined) {
    process.exitCode = printSent({ stdout: process.stdout, stderr: process.stderr }, json, response.result);
    return true;
  }
  const [{ reportError }, { fromRpcError }, { ChatError }] = await Promise.all([
    import('../commands/io.js'),
    import('../daemon/rpc-errors.js'),
    import('../engine/errors.js'),
  ]);
  const err = response?.error
    ? fromRpcError(response.error)
    : new ChatError('DAEMON_LOST', 'the chat daemon closed the connection before answering send', {
        hint: 'check the daemon (it may have stopped); without one, chat opens its own session',
      });
  process.exitCode = reportError({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env }, err);
  return true;
}

function connect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (): void => {
      socket.destroy();
      resolve(undefined);
    };
    socket.once('error', onError);
  });
}

/** The first line the daemon writes, or undefined if it closes (or says too much) first. */
function firstLine(socket: Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(10);
      chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl));
      size += chunk.length;
      if (nl !== -1 || size > MAX_ANSWER_BYTES) {
        socket.destroy();
        resolve(nl === -1 ? undefined : Buffer.concat(chunks).toString('utf8'));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.once('close', () => resolve(undefined));
  });
}
