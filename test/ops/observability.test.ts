/**
 * Observability of the built relay: Prometheus `/metrics` on its own loopback port, and JSON log lines on stderr
 * that carry events, codes and names but never message content, envelopes, keys or invite codes.
 */
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { chat, newUser } from '../e2e/harness.js';
import { RawClient } from '../helpers/raw-client.js';
import { relayBinary, runRelayBinary as runBinary } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

const t = tempDir('observe');
afterAll(() => t.cleanup());

function fetchText(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    }).on('error', reject);
  });
}

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

it('serves /metrics on a loopback port and logs JSON without content or secrets', async () => {
  const data = join(t.dir, 'relay');
  const relay = await relayBinary(data, { args: ['--metrics-port', '0'] });
  const alice = await newUser(t.dir, 'alice', relay);
  await newUser(t.dir, 'bob', relay);
  const secretBody = 'the launch code is 0000-SECRET';
  expect((await chat(['send', 'bob', secretBody], { home: alice })).code).toBe(0);
  expect((await chat(['send', 'bob', 'second'], { home: alice })).code).toBe(0);
  const bobRecv = await chat(['recv'], { home: join(t.dir, 'bob') });
  expect(bobRecv.stdout).toContain(secretBody);
  // bob's recv sent delivery receipts (PROTOCOL.md §4.1), envelopes too; alice collects them, so every mailbox drains.
  expect((await chat(['recv'], { home: alice })).code).toBe(0);
  // An auth failure: another key claiming alice.
  const intruder = await RawClient.connect(relay.port);
  expect(await intruder.login('alice')).toMatchObject({ t: 'err', code: 'KEY_MISMATCH' });
  intruder.close();
  const invite = (await runBinary(['admin', 'invite', '--data', data])).stdout.trim();

  const m = await fetchText(relay.metricsPort!, '/metrics');
  expect(m.status).toBe(200);
  expect(m.type).toContain('text/plain; version=0.0.4');
  // In: the two texts and bob's receipts (one or two, depending on how his recv batched them); out: all of them.
  const messagesIn = sample(m.body, 'chat_relay_messages_total{direction="in"}')!;
  expect(messagesIn).toBeGreaterThanOrEqual(3);
  expect(messagesIn).toBeLessThanOrEqual(4);
  expect(sample(m.body, 'chat_relay_messages_total{direction="out"}')).toBe(messagesIn);
  expect(sample(m.body, 'chat_relay_auth_failures_total{code="KEY_MISMATCH"}')).toBe(1);
  expect(sample(m.body, 'chat_relay_rejected_frames_total{code="KEY_MISMATCH"}')).toBe(1);
  expect(sample(m.body, 'chat_relay_connections_total')).toBeGreaterThanOrEqual(6);
  expect(sample(m.body, 'chat_relay_bytes_total{direction="in"}')).toBeGreaterThan(500);
  expect(sample(m.body, 'chat_relay_bytes_total{direction="out"}')).toBeGreaterThan(500);
  expect(sample(m.body, 'chat_relay_users')).toBe(2);
  expect(sample(m.body, 'chat_relay_mailbox_depth')).toBe(0); // bob acknowledged both
  expect(sample(m.body, 'chat_relay_store_commit_seconds_count')).toBeGreaterThanOrEqual(1);
  expect(m.body).toMatch(/^# TYPE chat_relay_store_commit_seconds histogram$/m);
  expect(m.body).not.toContain('alice'); // no usernames in labels
  expect(m.body).toMatch(/^process_cpu_seconds_total /m); // prom-client's default process metrics
  expect(m.body).toMatch(/^process_open_fds /m);
  expect((await fetchText(relay.metricsPort!, '/')).status).toBe(404);

  relay.proc.kill('SIGTERM');
  expect(await relay.exit).toBe(0);
  // stderr is JSON log lines, plus human notices that start with "chat-relay: " (here: the new TLS certificate).
  const all = relay.stderr().trim().split('\n');
  expect(all.filter((l) => l.startsWith('chat-relay: '))).toEqual([
    expect.stringMatching(/^chat-relay: created a TLS key and self-signed certificate in /),
  ]);
  const lines = all.filter((l) => !l.startsWith('chat-relay: '));
  expect(lines.length).toBeGreaterThan(10);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const e of events) {
    expect(typeof e.time).toBe('string');
    expect(['info', 'warn', 'error']).toContain(e.level);
    expect(typeof e.event).toBe('string');
  }
  expect(events.map((e) => e.event)).toEqual(
    expect.arrayContaining(['listening', 'metrics_listening', 'auth', 'refused', 'admin', 'shutdown']),
  );
  const log = relay.stderr();
  expect(log).not.toContain(secretBody);
  expect(log).not.toContain('SECRET');
  expect(log).not.toContain(invite);
  for (const field of ['env', 'sig', 'bsig', 'idpk', 'encpk', 'nonce', 'body', 'invite'])
    expect(log).not.toContain(`"${field}":`);
});
