#!/usr/bin/env node
// The floor under the login-rate and idle-connection scenarios: a bare node:tls server (TLS 1.3, an Ed25519
// certificate like the relay's, no application code: it answers one byte and holds the socket) measured the same way
// as our relay. Its server CPU per handshake and its RSS per idle connection are what Node's TLS alone costs on this
// machine; the relay cannot go below them while it terminates TLS itself.
// Usage: node scripts/bench/tls-floor.mjs [handshakes, default 3000] [idle connections, default 5000]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { loadOrCreateTlsMaterial } from '../../packages/relay/dist/tls-material.js';
import { cpuSeconds, tempDir } from './common.mjs';

const SERVER = `
import { createServer } from 'node:tls';
const { certPem, keyPem } = JSON.parse(process.argv[1]);
const s = createServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3' }, (c) => {
  c.on('error', () => {});
  c.once('data', () => c.write('x'));
});
s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
`;

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function startBare() {
  const tmp = tempDir('tlsfloor');
  const material = await loadOrCreateTlsMaterial(tmp.dir);
  const proc = spawn(process.execPath, ['--input-type=module', '-e', SERVER, JSON.stringify(material)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    proc.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    proc.once('exit', (code) => reject(new Error(`bare TLS server exited ${code}`)));
  });
  return {
    port,
    pid: proc.pid,
    stop: async () => {
      proc.kill();
      await new Promise((r) => proc.once('exit', r));
      tmp.cleanup();
    },
  };
}

/** One TLS 1.3 connection that has sent a byte and got one back. */
function open(port) {
  return new Promise((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1', minVersion: 'TLSv1.3', rejectUnauthorized: false }, () =>
      c.write('x'),
    );
    c.once('data', () => resolve(c));
    c.once('error', reject);
  });
}

export async function tlsFloor(handshakes = 3000, idle = 5000) {
  const server = await startBare();
  try {
    let left = handshakes;
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (left-- > 0) (await open(server.port)).destroy();
      }),
    );
    const rate = handshakes / ((performance.now() - t0) / 1000);
    const cpuMs = ((cpuSeconds(server.pid) - cpu0) * 1000) / handshakes;
    await new Promise((r) => setTimeout(r, 500));
    const before = rssKiB(server.pid);
    const conns = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next++ < idle) conns.push(await open(server.port));
      }),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const kib = (rssKiB(server.pid) - before) / idle;
    for (const c of conns) c.destroy();
    return { handshakesPerSecond: rate, serverCpuMsPerHandshake: cpuMs, idleConnections: idle, kibPerConnection: kib };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await tlsFloor(Number(process.argv[2] ?? 3000), Number(process.argv[3] ?? 5000)));
}
