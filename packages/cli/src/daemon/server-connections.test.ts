/**
 * The daemon's connections on a real Unix socket (server.ts `serveConnections`) and the start-up gate of its methods
 * (register.ts `gate`): a stopping daemon waits for the requests it is answering (hunt3: a download it finished was
 * reported lost), and a request that came while the daemon was starting waits for it only so long (hunt3).
 */
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { JSONRPCServer } from 'json-rpc-2.0';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { type ConnectionParams, gate } from './register.js';
import { serveConnections } from './server.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir('daemon-conns');
});
afterEach(() => t.cleanup());

it('idle() waits for the requests being answered, not for connections that are merely open', async () => {
  let finish!: () => void;
  const slow = new Promise<void>((r) => (finish = r));
  let arrived!: () => void;
  const asked = new Promise<void>((r) => (arrived = r));
  const rpc = new JSONRPCServer<ConnectionParams>();
  rpc.addMethod('slow', async () => {
    arrived();
    await slow;
    return 'done';
  });
  const server = createServer({ allowHalfOpen: true });
  const path = join(t.dir, 's.sock');
  server.listen(path);
  await once(server, 'listening');
  const counts: number[] = [];
  const connections = serveConnections(server, rpc, { unsubscribe: () => {} }, (n) => counts.push(n));
  const quiet = createConnection(path); // open, asking nothing
  const client = createConnection(path);
  await Promise.all([once(quiet, 'connect'), once(client, 'connect')]);
  await expect(connections.idle()).resolves.toBeUndefined(); // nothing asked yet
  client.write('{"jsonrpc":"2.0","id":1,"method":"slow"}\n');
  const answer = once(client, 'data');
  await asked; // the daemon is answering it now
  let idle = false;
  const idled = connections.idle().then(() => {
    idle = true;
  });
  await new Promise<void>((r) => setImmediate(r));
  expect(idle).toBe(false);
  finish();
  await idled;
  expect(String((await answer)[0])).toContain('"result":"done"');
  // closeAll resolves once every connection has closed and been counted (the daemon logs `stopped` after that).
  await connections.closeAll();
  expect(counts.at(-1)).toBe(0);
  quiet.destroy();
  client.destroy();
  server.close();
});

it('gate: a request that comes while the daemon starts waits for it, at most waitMs, then DAEMON_STARTING (not run)', async () => {
  let ready!: (v: string) => void;
  const started = gate(
    new Promise<string>((r) => {
      ready = r;
    }),
    50,
  );
  await expect(started()).rejects.toMatchObject({ code: 'DAEMON_STARTING', exitCode: 5 }); // never ready in time
  const waiting = started();
  ready('deps');
  await expect(waiting).resolves.toBe('deps'); // ready while it waited
  await expect(started()).resolves.toBe('deps'); // ready: no wait at all
});
