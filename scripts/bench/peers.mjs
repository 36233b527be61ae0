// Peer brokers with the same pattern as ours: N publishers to N subscribers, durable QoS, 256-byte payloads.
//  - Mosquitto (Debian package): MQTT QoS 1, persistence on, persistent sessions (clean: false) for the subscribers.
//  - NATS JetStream (Debian package): one work-queue stream on file storage; publishers wait for the PubAck (stored),
//    subscribers are durable consumers with explicit ack (the message is deleted on ack).
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, payloadPair, payloadSeq, spawnServer, tempDir } from './common.mjs';

function findBinary(name) {
  for (const p of [`/usr/sbin/${name}`, `/usr/bin/${name}`, `/usr/local/bin/${name}`]) if (existsSync(p)) return p;
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`])
        .toString()
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** The binary, installing the Debian package when missing and we are root; a reason string when it cannot. */
export function ensurePeer(bin, pkg) {
  let path = findBinary(bin);
  if (!path && process.getuid?.() === 0 && process.env.BENCH_NO_INSTALL !== '1') {
    try {
      execFileSync(
        'sh',
        [
          '-c',
          `apt-get install -y ${pkg} >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y ${pkg} >/dev/null 2>&1)`,
        ],
        { timeout: 180_000 },
      );
    } catch {
      /* reported below */
    }
    path = findBinary(bin);
  }
  return path ?? `${bin} not found and \`apt-get install -y ${pkg}\` did not provide it`;
}

export async function mosquitto(n) {
  const bin = ensurePeer('mosquitto', 'mosquitto');
  if (!bin.startsWith('/')) return { skipped: bin };
  const mqtt = (await import('mqtt')).default;
  const tmp = tempDir('mosquitto');
  const port = await freePort();
  const conf = join(tmp.dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${tmp.dir}/`,
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'log_type error',
      '',
    ].join('\n'),
  );
  const server = await spawnServer(bin, ['-c', conf, '-v'], /running|opening ipv4 listen socket/i);
  await new Promise((r) => setTimeout(r, 200));
  let onReceive = () => {};
  const url = `mqtt://127.0.0.1:${port}`;
  const subs = [];
  const pubs = [];
  for (let i = 0; i < n; i++) {
    const s = await mqtt.connectAsync(url, { clientId: `sub${i}`, clean: false, protocolVersion: 4 });
    s.on('message', (_t, msg) => onReceive(payloadPair(msg), payloadSeq(msg)));
    await s.subscribeAsync(`bench/${i}`, { qos: 1 });
    subs.push(s);
    pubs.push(await mqtt.connectAsync(url, { clientId: `pub${i}`, clean: true, protocolVersion: 4 }));
  }
  return {
    name: 'Mosquitto (MQTT QoS 1, persistence)',
    set onReceive(fn) {
      onReceive = fn;
    },
    send: (pair, _seq, p) => pubs[pair].publishAsync(`bench/${pair}`, p, { qos: 1 }),
    pid: server.proc.pid,
    async close() {
      await Promise.all([...subs, ...pubs].map((c) => c.endAsync(true)));
      await server.stop();
      tmp.cleanup();
    },
  };
}

export async function nats(n) {
  const bin = ensurePeer('nats-server', 'nats-server');
  if (!bin.startsWith('/')) return { skipped: bin };
  const { connect, AckPolicy, RetentionPolicy, StorageType } = await import('nats');
  const tmp = tempDir('nats');
  const port = await freePort();
  const server = await spawnServer(
    bin,
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', tmp.dir],
    /Server is ready/,
  );
  let onReceive = () => {};
  const subConns = [];
  const pubConns = [];
  const consumers = [];
  const admin = await connect({ servers: `127.0.0.1:${port}` });
  const jsm = await admin.jetstreamManager();
  await jsm.streams.add({
    name: 'BENCH',
    subjects: ['bench.>'],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
  });
  for (let i = 0; i < n; i++) {
    await jsm.consumers.add('BENCH', {
      durable_name: `c${i}`,
      ack_policy: AckPolicy.Explicit,
      filter_subject: `bench.${i}`,
      max_ack_pending: 100_000,
    });
    const sc = await connect({ servers: `127.0.0.1:${port}` });
    const consumer = await sc.jetstream().consumers.get('BENCH', `c${i}`);
    const messages = await consumer.consume({ max_messages: 1000 });
    (async () => {
      for await (const m of messages) {
        onReceive(payloadPair(m.data), payloadSeq(m.data));
        m.ack();
      }
    })().catch(() => {});
    consumers.push(messages);
    subConns.push(sc);
    const pc = await connect({ servers: `127.0.0.1:${port}` });
    pubConns.push({ nc: pc, js: pc.jetstream() });
  }
  return {
    name: 'NATS JetStream (file storage)',
    set onReceive(fn) {
      onReceive = fn;
    },
    send: (pair, _seq, p) => pubConns[pair].js.publish(`bench.${pair}`, p),
    pid: server.proc.pid,
    async close() {
      for (const m of consumers) m.stop();
      await Promise.all([admin, ...subConns, ...pubConns.map((p) => p.nc)].map((c) => c.close().catch(() => {})));
      await server.stop();
      tmp.cleanup();
    },
  };
}
