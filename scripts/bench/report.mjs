// Markdown tables from one results.json: ours vs each peer, with ratios from the same run.
import { fmt } from './common.mjs';

export function markdown(r) {
  const s = r.systems;
  const ours = s.ours;
  const peers = Object.entries(s).filter(([k]) => k !== 'ours');
  const lines = [
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB} GiB RAM, ${r.machine.os}, Node ${r.machine.node}. ` +
      `Command: \`${r.command}\` (${r.mode} mode), ${r.date}.`,
    '',
  ];
  const head = [
    'scenario',
    ...Object.values(s).map((x) => x.name),
    ...peers.map(([, p]) => `ours / ${p.name.split(' ')[0]}`),
  ];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`);
  const row = (label, get, d = 0, better = 'higher') => {
    const vals = Object.values(s).map(get);
    const ratios = ours
      ? peers.map(([, p]) => {
          const a = get(ours),
            b = get(p);
          return Number.isFinite(a / b)
            ? `${(a / b).toFixed(2)}x${better === 'lower' ? ' (lower is better)' : ''}`
            : 'n/a';
        })
      : [];
    lines.push(`| ${label} | ${vals.map((v) => fmt(v, d)).join(' | ')} | ${ratios.join(' | ')} |`);
  };
  row('durable throughput, msg/s (median)', (x) => x.throughput);
  const rates = [
    ...new Set(Object.values(s).flatMap((x) => x.latency.filter((l) => !l.nearSaturation).map((l) => l.offered))),
  ];
  for (const rate of rates) {
    const at = (x) =>
      x.latency.find((l) => l.offered === rate && !l.nearSaturation) ?? x.latency.find((l) => l.offered === rate);
    row(`achieved msg/s at ${fmt(rate)}/s offered`, (x) => at(x)?.achieved, 0);
    for (const q of ['p50', 'p99', 'p999'])
      row(`${q === 'p999' ? 'p99.9' : q} latency ms at ${fmt(rate)}/s`, (x) => at(x)?.[q], 2, 'lower');
  }
  row('server CPU per message in the throughput runs, µs (from /proc)', (x) => x.serverCpuUsPerMessage, 1, 'lower');
  row('peak RSS of the server, MiB', (x) => x.peakRssKiB / 1024, 1, 'lower');
  lines.push(
    '',
    "Near saturation (offered 0.9 x each system's own median throughput):",
    '',
    '| system | offered | achieved | received / sent | p50 ms | p99 ms | p99.9 ms |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const x of Object.values(s))
    for (const l of x.latency.filter((l) => l.nearSaturation))
      lines.push(
        `| ${x.name} | ${fmt(l.offered)} | ${fmt(l.achieved)} | ${fmt(l.received)} / ${fmt(l.total)} | ${fmt(l.p50, 2)} | ${fmt(l.p99, 2)} | ${fmt(l.p999, 2)} |`,
      );
  const short = Object.values(s).flatMap((x) =>
    x.latency
      .filter((l) => l.received < l.total)
      .map((l) => `${x.name} at ${fmt(l.offered)}/s: ${fmt(l.received)} of ${fmt(l.total)}`),
  );
  if (short.length > 0)
    lines.push(
      '',
      `**Not all messages arrived within the 15 s wait** (the open-loop driver does not retry failed sends; percentiles cover the arrived ones only): ${short.join('; ')}.`,
    );
  for (const [k, why] of Object.entries(r.skipped)) lines.push('', `**Skipped ${k}:** ${why}`);
  if (r.floor && !r.floor.skipped) {
    const f = r.floor;
    const at10k = (x) => x?.latency.find((l) => l.offered === 10_000 && !l.nearSaturation);
    lines.push(
      '',
      'The floor under ours: the same client, TLS 1.3 and codec against a forwarder that stores nothing and checks nothing ' +
        '(`scripts/bench/floor-server.mjs`), same run:',
      '',
      '| | ours (chat-relay) | floor | ours / floor |',
      '| --- | --- | --- | --- |',
    );
    const frow = (label, get, d = 0) => {
      const a = ours ? get(ours) : undefined,
        b = get(f);
      lines.push(
        `| ${label} | ${fmt(a, d)} | ${fmt(b, d)} | ${Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a'} |`,
      );
    };
    frow('throughput, msg/s (median)', (x) => x.throughput);
    frow('server CPU per message, µs', (x) => x.serverCpuUsPerMessage, 1);
    frow('load generator CPU per message, µs (same 2 cores)', (x) => x.clientCpuUsPerMessage, 1);
    frow('p50 latency ms at 10,000/s', (x) => at10k(x)?.p50, 2);
    frow('p99 latency ms at 10,000/s', (x) => at10k(x)?.p99, 2);
    frow('p99.9 latency ms at 10,000/s', (x) => at10k(x)?.p999, 2);
  } else if (r.floor?.skipped) lines.push('', `**Floor not measured:** ${r.floor.skipped}`);
  lines.push(
    '',
    'Ours only:',
    '',
    '| scenario | result |',
    '| --- | --- |',
    `| login rate (TLS 1.3 + hello + signed auth, 16 concurrent), handshakes/s | ${fmt(r.loginRate.median)} (runs ${r.loginRate.runs.map((x) => fmt(x)).join(', ')}) |`,
    ...(r.loginRate.relayCpuMsPerLogin === undefined
      ? []
      : [
          `| relay CPU per login, ms (from /proc; 1000 / this = logins per relay core-second) | ${fmt(r.loginRate.relayCpuMsPerLogin, 3)} (= ${fmt(1000 / r.loginRate.relayCpuMsPerLogin)}/s per core) |`,
        ]),
    ...(r.tlsFloor && !r.tlsFloor.skipped
      ? [
          `| bare \`node:tls\` server, same client and certificate type (\`scripts/bench/tls-floor.mjs\`): handshakes/s; server CPU per handshake; RSS per idle connection | ${fmt(r.tlsFloor.handshakesPerSecond)}/s; ${fmt(r.tlsFloor.serverCpuMsPerHandshake, 3)} ms; ${fmt(r.tlsFloor.kibPerConnection, 1)} KiB |`,
        ]
      : []),
    r.connections && !r.connections.skipped
      ? `| ${fmt(r.connections.count)} authenticated idle connections: time to establish (first logins, 32 concurrent); relay memory each | ${fmt(r.connections.seconds, 1)} s (${fmt(r.connections.perSecond)}/s); ${fmt(r.connections.kibPerConnection, 1)} KiB per connection (RSS ${fmt(r.connections.rssBeforeMiB, 1)} -> ${fmt(r.connections.rssAfterMiB, 1)} MiB) |`
      : `| idle connections | not measured${r.connections?.skipped ? `: ${r.connections.skipped}` : ''} |`,
    `| offline drain of ${fmt(r.drain.count)} v1 envelopes through the client engine, s | ${fmt(r.drain.medianSeconds, 2)} (runs ${r.drain.runs.map((d) => fmt(d.seconds, 2)).join(', ')}; left on relay ${r.drain.runs.map((d) => d.leftOnRelay).join(', ')}; CPU per message: engine ${fmt(r.drain.clientCpuUsPerMessage, 1)} µs, relay ${fmt(r.drain.relayCpuUsPerMessage, 1)} µs) |`,
    ...(r.drainV2
      ? [
          `| offline drain of ${fmt(r.drainV2.count)} v2 envelopes (one answered session) through the client engine, s | ${fmt(r.drainV2.medianSeconds, 2)} (runs ${r.drainV2.runs.map((d) => fmt(d.seconds, 2)).join(', ')}; left on relay ${r.drainV2.runs.map((d) => d.leftOnRelay).join(', ')}; CPU per message: engine ${fmt(r.drainV2.clientCpuUsPerMessage, 1)} µs, of which the cryptography alone ${fmt(r.drainV2.cryptoFloorUsPerMessage, 1)} µs, relay ${fmt(r.drainV2.relayCpuUsPerMessage, 1)} µs) |`,
        ]
      : []),
  );
  if (r.oneShot.skipped) lines.push(`| one-shot CLI | skipped: ${r.oneShot.skipped} |`);
  else
    for (const [k, v] of Object.entries(r.oneShot))
      lines.push(`| \`${k}\` wall time, ms (hyperfine median) | ${fmt(v.medianMs)} (min ${fmt(v.minMs)}) |`);
  for (const x of r.storageFloor ?? [])
    lines.push(
      `| relay's SQLite store alone (\`storage-floor.mjs\`), batches of ${x.batch}: insert + delete per message | ${fmt(x.cpuUsPerMessage, 1)} µs CPU; ${fmt(x.messagesPerSecond)} msg/s |`,
    );
  lines.push(
    `| 256-byte write + fsync on this disk, per s | ${fmt(r.fsyncPerSecond)} |`,
    '',
    'Crypto (`scripts/bench-crypto.mjs`, same run):',
    '',
    '```',
    r.crypto.trimEnd(),
    '```',
    '',
  );
  return lines.join('\n');
}
