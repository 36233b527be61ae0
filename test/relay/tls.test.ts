/** The relay's TLS front door (PROTOCOL.md §5.1) with the raw client: plaintext is refused, TLS clients are served. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '@chat/relay';
import { RawClient } from '../helpers/raw-client.js';
import { relayInProcess } from '../fixtures/relay.js';
import { tempDir } from '../fixtures/temp.js';

describe('relay TLS', () => {
  let tmp: ReturnType<typeof tempDir>;
  let relay: RunningRelay;
  beforeAll(async () => {
    tmp = tempDir('relay-tls');
    relay = await relayInProcess(tmp.dir);
  });
  afterAll(async () => {
    await relay.close();
    tmp.cleanup();
  });

  it('has a certificate fingerprint and serves TLS 1.3 clients', async () => {
    expect(relay.certFingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const c = await RawClient.connect(relay.port);
    expect((c.socket as import('node:tls').TLSSocket).getProtocol()).toBe('TLSv1.3');
    expect((await c.login('tlsuser')).t).toBe('welcome');
    c.close();
  });

  it('answers a plaintext client with one unencrypted fatal TLS_REQUIRED and keeps serving others', async () => {
    const served = await RawClient.connect(relay.port);
    expect((await served.login('steady')).t).toBe('welcome');
    const plain = await RawClient.connect(relay.port, '127.0.0.1', { insecure: true });
    plain.send({ t: 'hello', v: 1, agent: 'plain' });
    const err = await plain.nextOfType('err');
    expect(err).toMatchObject({ code: 'TLS_REQUIRED', fatal: true });
    await plain.closedPromise;
    served.send({ t: 'ping', rid: 7 });
    expect(await served.nextOfType('pong')).toEqual({ t: 'pong', rid: 7 });
    served.close();
  });

  it('drops a TLS handshake that never finishes (a client that sends half a ClientHello)', async () => {
    const short = await relayInProcess(`${tmp.dir}/short`, { handshakeTimeoutMs: 200 });
    try {
      const plain = await RawClient.connect(short.port, '127.0.0.1', { insecure: true });
      plain.writeRaw(new Uint8Array([0x16, 0x03, 0x01]));
      await plain.closedPromise;
      expect(plain.closed).toBe(true);
    } finally {
      await short.close();
    }
  });

  it("refuses to start with a damaged certificate, or a key that is not the certificate's (typed errors)", async () => {
    const dir = `${tmp.dir}/damaged`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/tls-cert.pem`, 'not a certificate');
    writeFileSync(`${dir}/tls-key.pem`, 'not a key', { mode: 0o600 }); // (a readable key is refused first)
    await expect(relayInProcess(dir)).rejects.toMatchObject({ name: 'RelayTlsError', code: 'TLS_FILES' });
    // The certificate of one relay with the key of another.
    const other = await relayInProcess(`${tmp.dir}/other`);
    await other.close();
    await expect(
      relayInProcess(`${tmp.dir}/mixed`, {
        tls: { certPath: `${tmp.dir}/tls-cert.pem`, keyPath: `${tmp.dir}/other/tls-key.pem` },
      }),
    ).rejects.toMatchObject({
      code: 'TLS_KEY_MISMATCH',
    });
  });

  it('a relay with tls: false speaks plaintext and has no fingerprint', async () => {
    const plainRelay = await relayInProcess(`${tmp.dir}/plain`, { tls: false });
    try {
      expect(plainRelay.certFingerprint).toBeUndefined();
      const c = await RawClient.connect(plainRelay.port, '127.0.0.1', { insecure: true });
      expect((await c.login('plainuser')).t).toBe('welcome');
      c.close();
    } finally {
      await plainRelay.close();
    }
  });
});
