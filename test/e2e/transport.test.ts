/**
 * Transport attacks on real sockets (PROTOCOL.md §5.1, docs/SECURITY.md): a relay certificate that is not the pinned
 * one, a certificate swapped under a TOFU pin, `--insecure` on one side only, and what a network observer sees.
 * The `chat-relay` binary where its output, flags or data directory are under test; elsewhere the same relay in this
 * process (TLS 1.3, its own certificate in its data directory), which saves a relay start (~1 s of CPU) each.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, newUser } from './harness.js';
import { relayBinary, relayInProcess, type BinaryRelay } from '../fixtures/relay.js';
import { tempDir, type TempDir } from '../fixtures/temp.js';
import { preparedKeys } from '../fixtures/profiles.js';

const OTHER_FP = `${'A'.repeat(42)}A`;

describe('relay transport: TLS 1.3 with a pinned certificate', () => {
  let t: TempDir;
  let relay: BinaryRelay;
  beforeAll(async () => {
    t = tempDir('transport');
    relay = await relayBinary(`${t.dir}/relay`);
  });
  afterAll(async () => {
    await relay.stop();
    t.cleanup();
  });

  it('creates its key and self-signed certificate once and prints the chat:// address before the listening line', async () => {
    expect(relay.stdout()).toMatch(
      /^chat-relay address chat:\/\/[A-Za-z0-9_-]{43}@127\.0\.0\.1:\d+\nchat-relay listening on 127\.0\.0\.1:\d+\n$/,
    );
    expect(statSync(`${relay.dataDir}/tls-key.pem`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${relay.dataDir}/tls-cert.pem`, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // A restarted relay keeps its key, so its fingerprint (and every client's pin) stays the same. (A second relay
    // cannot share a running relay's data directory, so this one gets its own.)
    const dir = `${t.dir}/restarted-relay`;
    const first = await relayBinary(dir);
    const created = first.fingerprint;
    await first.stop();
    const again = await relayBinary(dir);
    try {
      expect(again.fingerprint).toBe(created);
    } finally {
      await again.stop();
    }
  });

  it('a chat:// address with another fingerprint: refused before anything is sent (exit 6, RELAY_CERT_MISMATCH)', async () => {
    const home = `${t.dir}/mallory-target`;
    preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
    const r = await chat(['login', 'victim', '--relay', `chat://${OTHER_FP}@${relay.hostPort}`], { home });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(
      `chat: error: the relay at ${relay.hostPort} presented a TLS certificate that does not match the pinned one`,
    );
    expect(r.stderr).toContain(`expected ${OTHER_FP}, got ${relay.fingerprint}`);
    expect(r.stderr).toMatch(/^chat: hint: someone may be intercepting/m);
    // Nothing was registered: the right address still registers the name as new.
    const ok = await chat(['login', 'victim', '--relay', relay.address, '--json'], { home });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      registered: true,
      relayCert: relay.fingerprint,
      address: relay.address,
    });
  });

  it('a bare host:port pins the first certificate; a different one later is refused (send and login)', async () => {
    const dir = `${t.dir}/tofu`;
    const first = await relayInProcess(`${dir}/relay-a`);
    const home = `${dir}/tina`;
    preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
    const login = await chat(['login', 'tina', '--relay', first.hostPort], { home });
    expect(login).toEqual({
      code: 0,
      stdout:
        `registered tina on ${first.hostPort}\n` +
        `relay certificate trusted on first use (${first.hostPort} names none) and pinned: ${first.address}\n` +
        "check it: the relay's operator sees the same chat:// address in chat-relay's start-up output; give others that address\n",
      stderr: '',
    });
    expect(JSON.parse(readFileSync(`${home}/config.json`, 'utf8'))).toMatchObject({ relayCert: first.fingerprint });
    await first.stop();
    // Someone else answers on the same address with another certificate.
    const impostor = await relayInProcess(`${dir}/relay-b`, { port: first.port });
    try {
      expect(impostor.port).toBe(first.port);
      const send = await chat(['send', 'tina', 'hello?'], { home });
      expect(send.code).toBe(6);
      expect(send.stderr).toContain('does not match the pinned one');
      expect(send.stderr).toContain(`expected ${first.fingerprint}, got ${impostor.fingerprint}`);
      // `chat login` with the same bare address keeps the pin too: only a chat:// address replaces it.
      const relogin = await chat(['login', 'tina', '--relay', first.hostPort], { home });
      expect(relogin.code).toBe(6);
      expect(relogin.stderr).toContain('does not match the pinned one');
      const accept = await chat(['login', 'tina', '--relay', impostor.address], { home });
      expect(accept.code).toBe(0);
      expect(accept.stderr).toContain(
        `accepted a new TLS certificate for ${impostor.hostPort} (was ${first.fingerprint})`,
      );
    } finally {
      await impostor.stop();
    }
  });

  it('an operator certificate (--tls-cert/--tls-key, here ECDSA P-256 from openssl) is served and pinned', async () => {
    const dir = `${t.dir}/own`;
    execFileSync('mkdir', ['-p', dir]);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/CN=relay.example',
        '-keyout',
        `${dir}/key.pem`,
        '-out',
        `${dir}/cert.pem`,
      ],
      { stdio: 'ignore' },
    );
    const own = await relayBinary(`${dir}/data`, {
      args: ['--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`],
    });
    try {
      const spki = execFileSync('sh', [
        '-c',
        `openssl x509 -in ${dir}/cert.pem -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='`,
      ])
        .toString()
        .trim();
      expect(own.fingerprint).toBe(spki);
      const home = await newUser(dir, 'olga', own);
      expect((await chat(['send', 'olga', 'self'], { home })).code).toBe(0);
    } finally {
      await own.stop();
    }
  });
});

describe('--insecure must be on both sides', () => {
  let t: TempDir;
  beforeAll(() => {
    t = tempDir('insecure');
  });
  afterAll(() => t.cleanup());

  it('TLS client, plaintext relay: TLS_FAILED (exit 6) with a hint naming --insecure', async () => {
    const plain = await relayBinary(`${t.dir}/plain`, { insecure: true });
    try {
      expect(plain.stdout()).toContain(`chat-relay address ${plain.hostPort} (insecure: clients need --insecure)`);
      const home = `${t.dir}/ivan`;
      preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
      const r = await chat(['login', 'ivan', '--relay', plain.hostPort], { home });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/^chat: error: the relay at 127\.0\.0\.1:\d+ did not complete a TLS 1\.3 handshake/m);
      expect(r.stderr).toContain('--insecure');
      // Both sides insecure: works, with a warning.
      const ok = await chat(['login', 'ivan', '--relay', plain.hostPort, '--insecure'], { home });
      expect(ok.code).toBe(0);
      expect(ok.stderr).toContain('chat: warning: --insecure');
      expect((await chat(['send', 'ivan', 'plain note'], { home })).code).toBe(0);
      expect((await chat(['recv'], { home })).stdout).toMatch(/ivan: plain note\n$/);
    } finally {
      await plain.stop();
    }
  });

  it('plaintext client, TLS relay: TLS_REQUIRED (exit 6) with a hint, and the relay keeps serving', async () => {
    const relay = await relayInProcess(`${t.dir}/tls`);
    try {
      const home = `${t.dir}/jane`;
      preparedKeys(home); // keys are not under test here: no keygen child, no scrypt
      const r = await chat(['login', 'jane', '--relay', relay.hostPort, '--insecure'], { home });
      expect(r.code).toBe(6);
      expect(r.stderr).toContain(
        'chat: error: the relay requires TLS but this profile connects with --insecure (TLS_REQUIRED)',
      );
      expect(r.stderr).toMatch(/^chat: hint: log in without --insecure/m);
      const refused = await chat(['login', 'jane', '--relay', relay.address, '--insecure'], { home });
      expect(refused.code).toBe(2);
      expect((await chat(['login', 'jane', '--relay', relay.address], { home })).code).toBe(0);
    } finally {
      await relay.stop();
    }
  });
});

/** A TCP proxy that records every byte in both directions: the network observer. */
async function recordingProxy(target: number): Promise<{ server: Server; port: number; seen: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((inbound) => {
    const outbound = connect(target, '127.0.0.1');
    inbound.on('data', (d: Buffer) => (chunks.push(d), outbound.write(d)));
    outbound.on('data', (d: Buffer) => (chunks.push(d), inbound.write(d)));
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.on('error', () => {});
    outbound.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, seen: () => Buffer.concat(chunks) };
}

describe('a network observer', () => {
  it.each([
    ['TLS', false, false],
    ['--insecure', true, true],
  ])('over %s sees usernames: %s', async (_name, insecure, visible) => {
    const t = tempDir('observer');
    const relay = await relayInProcess(`${t.dir}/relay`, { insecure });
    const proxy = await recordingProxy(relay.port);
    try {
      const via = {
        ...relay,
        hostPort: `127.0.0.1:${proxy.port}`,
        address: relay.address.replace(relay.hostPort, `127.0.0.1:${proxy.port}`),
      };
      const home = await newUser(t.dir, 'quentin', via);
      expect((await chat(['send', 'quentin', 'note'], { home })).code).toBe(0);
      const bytes = proxy.seen();
      expect(bytes.length).toBeGreaterThan(200);
      expect(bytes.includes('quentin')).toBe(visible);
    } finally {
      await new Promise((r) => proxy.server.close(r));
      await relay.stop();
      t.cleanup();
    }
  });
});
