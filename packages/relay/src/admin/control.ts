/**
 * The local control socket: `control.sock` (a Unix domain socket, mode 0600) in the relay's data directory, for
 * `chat-relay admin|status` on the relay host. Whoever can open it is the relay's operator (the data directory is
 * 0700), so it needs no login. One JSON request per line, one JSON answer per line:
 *
 *   → {"op":"kick","user":"bob","reason":"spam"}
 *   ← {"ok":true,"result":{"op":"kick"}}   or   {"ok":false,"code":"UNKNOWN_USER","message":"bob has no open session"}
 *
 * It also guards the data directory: a second relay started on the same directory finds the socket answering and
 * refuses to start (`DATA_DIR_IN_USE`), instead of sharing the database behind the first one's back.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { RelayContext } from '../context.js';
import { AdminError, runAdminOp, type AdminRequest } from './ops.js';

export const CONTROL_SOCKET = 'control.sock';
const OPS = new Set(['users', 'kick', 'ban', 'unban', 'invite', 'shutdown', 'stats', 'delete-user']);
const MAX_LINE = 4096;

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  readonly code = 'DATA_DIR_IN_USE';
}

/** True if something answers on the control socket of `dataDir`. */
export function controlSocketAlive(dataDir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(join(dataDir, CONTROL_SOCKET));
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function parseRequest(line: string): AdminRequest {
  const r = JSON.parse(line) as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || typeof r.op !== 'string' || !OPS.has(r.op)) throw new Error('unknown op');
  const opt = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  return { op: r.op as AdminRequest['op'], user: opt('user'), after: opt('after'), reason: opt('reason') };
}

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the terminating zero). */
const MAX_SOCKET_PATH = 107;

export async function startControlSocket(dataDir: string, ctx: RelayContext): Promise<{ close(): Promise<void> }> {
  const path = join(dataDir, CONTROL_SOCKET);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    // Serve anyway: the operator loses live kick/shutdown/status, not the relay (README "Administration").
    ctx.log({ event: 'control_socket_unavailable', reason: 'data directory path too long for a Unix socket' });
    return { close: async () => {} };
  }
  if (await controlSocketAlive(dataDir)) {
    throw new DataDirInUseError(`another relay is running on ${dataDir} (its control socket answers)`);
  }
  try {
    unlinkSync(path); // a stale socket left by a relay that was killed
  } catch {
    /* none */
  }
  const server: Server = createServer((conn) => {
    let buf = '';
    let replies = Promise.resolve();
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        conn.end(`${JSON.stringify({ ok: false, code: 'BAD_REQUEST', message: 'request too long' })}\n`);
        return;
      }
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // Answers leave in request order: each waits for the one before it.
        replies = replies.then(async () => {
          let answer: unknown;
          try {
            answer = { ok: true, result: await runAdminOp(ctx, parseRequest(line), 'local') };
          } catch (err) {
            answer =
              err instanceof AdminError
                ? { ok: false, code: err.code, message: err.message }
                : { ok: false, code: 'BAD_REQUEST', message: (err as Error).message };
          }
          if (!conn.destroyed) conn.write(`${JSON.stringify(answer)}\n`);
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/**
 * Sends one request to the running relay of `dataDir`.
 * @throws Error with code ENOENT / ECONNREFUSED when no relay is running there.
 */
export function controlRequest(
  dataDir: string,
  req: AdminRequest,
  timeoutMs = 5_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const c = createConnection(join(dataDir, CONTROL_SOCKET));
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error('the relay did not answer on its control socket'));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.once('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      c.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      } catch (err) {
        reject(err as Error);
      }
    });
    c.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
