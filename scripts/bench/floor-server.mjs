#!/usr/bin/env node
// The floor under the relay's throughput and latency: a forwarder that speaks just enough of the protocol for the
// benchmark client (hello, auth without any check, send, ack, ping) over the same TLS 1.3 and the same codec as
// chat-relay, with the same write coalescing (one write per event-loop turn per connection), but stores nothing,
// checks no signature and keeps no account. A `send` is answered `sent` at once and forwarded as `msg` to the
// recipient's connection. Whatever the relay does beyond this (SQLite, fsync, limits, mailbox bookkeeping) is what
// separates it from this floor; Node's TLS, sockets and the codec alone cost what this costs.
// Usage: node scripts/bench/floor-server.mjs <data dir>   (prints "floor address <port>" when listening)
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:tls';
import { FrameDecoder, decodeClientFrame, encodeFrame } from '@chat/protocol';
import { loadOrCreateTlsMaterial } from '../../packages/relay/dist/tls-material.js';

const material = await loadOrCreateTlsMaterial(process.argv[2]);
const relayId = randomBytes(32);
const online = new Map();
const corked = new Set();

function write(sock, frame) {
  if (!corked.has(sock)) {
    corked.add(sock);
    sock.cork();
    if (corked.size === 1)
      setImmediate(() => {
        for (const s of corked) s.uncork();
        corked.clear();
      });
  }
  sock.write(encodeFrame(frame));
}

const server = createServer({ cert: material.certPem, key: material.keyPem, minVersion: 'TLSv1.3' }, (sock) => {
  sock.setNoDelay(true);
  const decoder = new FrameDecoder();
  let user;
  sock.on('error', () => {});
  sock.on('close', () => {
    if (user && online.get(user) === sock) online.delete(user);
  });
  sock.on('data', (chunk) => {
    for (const body of decoder.push(chunk)) {
      const f = decodeClientFrame(body);
      if (f.t === 'hello')
        write(sock, {
          t: 'challenge',
          v: 1,
          relay: relayId,
          nonce: randomBytes(32),
          maxFrame: 1 << 20,
          maxEnvelope: 1 << 16,
        });
      else if (f.t === 'auth') {
        user = f.user;
        if (f.mode === 'recv') online.set(user, sock);
        write(sock, { t: 'welcome', user, mode: f.mode, registered: false });
        if (f.mode === 'recv') write(sock, { t: 'synced' });
      } else if (f.t === 'send') {
        write(sock, { t: 'sent', rid: f.rid, id: f.id });
        const to = online.get(f.to);
        if (to) write(to, { t: 'msg', id: f.id, env: f.env, ts: Date.now() });
      } else if (f.t === 'ping') write(sock, { t: 'pong', rid: f.rid });
      // `ack` needs nothing: nothing was stored.
    }
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`floor address ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
