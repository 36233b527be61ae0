/**
 * PROTOCOL.md §5.1 "TLS details for client authors", on real sockets: what our client's ClientHello carries (the
 * Ed25519 signature scheme, SNI only for a name, no ALPN), that the relay needs no more than that and ignores SNI and
 * ALPN, and that an IPv6 literal `chat://<fp>@[::1]:port` reaches a relay listening on ::1.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { generateIdentity } from '@chat/crypto';
import { FrameDecoder, decodeRelayFrame, encodeFrame, type RelayFrame } from '@chat/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handshake, relayInProcess, scriptedRelay, tempDir, type TempDir } from '../../../test/helpers.js';
import { login } from '../account.js';
import { parseRelayAddress } from '../address.js';
import { Messenger } from '../messenger.js';
import { Profile } from '../profile.js';
import { Connection } from './connection.js';

interface Hello {
  servername: string | false;
  sigalgs: string[];
  alpn: readonly string[] | undefined;
}

/** Connects our client to a scripted TLS peer on `listen` as `host` and reports what its ClientHello offered. */
async function clientHello(listen: string, host: string): Promise<Hello> {
  let alpn: readonly string[] | undefined;
  let seen: Hello | undefined;
  const { server, port } = await scriptedRelay(
    (frame, socket, reply) => {
      const tls = socket as TLSSocket;
      seen ??= { servername: tls.servername ?? false, sigalgs: tls.getSharedSigalgs(), alpn };
      handshake(frame, reply);
    },
    {
      host: listen,
      tls: {
        ALPNCallback: ({ protocols }) => {
          alpn = protocols;
          return undefined;
        },
      },
    },
  );
  try {
    const conn = await Connection.open({
      address: { host, port },
      username: 'alice',
      identity: generateIdentity(),
      mode: 'send',
    });
    await conn.close();
  } finally {
    server.close();
  }
  return seen!;
}

describe("the client's ClientHello (§5.1)", () => {
  it('offers ed25519, sends no ALPN, and sends SNI for a name but not for an IPv4 or IPv6 literal', async () => {
    const byIp = await clientHello('127.0.0.1', '127.0.0.1');
    // OpenSSL names the scheme `Ed25519+UNDEF` (no separate hash): RFC 8446's ed25519, 0x0807.
    expect(byIp.sigalgs).toContain('Ed25519+UNDEF');
    expect(byIp.alpn).toBeUndefined();
    expect(byIp.servername).toBe(false);
    expect((await clientHello('::1', '::1')).servername).toBe(false);
    // /etc/hosts names 127.0.0.1 localhost on every machine these tests run on.
    expect((await clientHello('127.0.0.1', 'localhost')).servername).toBe('localhost');
  });
});

describe('the relay and an IPv6 literal (§5.1)', () => {
  let t: TempDir;
  beforeEach(() => {
    t = tempDir('tls-hello');
  });
  afterEach(() => t.cleanup());

  it('needs only ed25519 from a client, and ignores SNI and ALPN', async () => {
    const relay = await relayInProcess(`${t.dir}/relay`);
    try {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: relay.port,
        minVersion: 'TLSv1.3',
        rejectUnauthorized: false,
        sigalgs: 'ed25519',
        servername: 'not-the-relay.example',
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      const decoder = new FrameDecoder();
      const challenge = await new Promise<RelayFrame>((resolve, reject) => {
        socket.once('error', reject);
        socket.once('secureConnect', () => socket.write(encodeFrame({ t: 'hello', v: 1, agent: 'test' })));
        socket.on('data', (chunk: Buffer) => {
          for (const body of decoder.push(chunk)) resolve(decodeRelayFrame(body));
        });
      });
      expect(challenge.t).toBe('challenge');
      expect(socket.alpnProtocol).toBe(false);
      socket.destroy();
    } finally {
      await relay.stop();
    }
  });

  it('chat://<fp>@[::1]:port: login pins the relay and stores [::1]:port; send and receive work over it', async () => {
    const relay = await relayInProcess(`${t.dir}/relay`, { host: '::1' });
    try {
      const profile = new Profile(`${t.dir}/alice`);
      profile.saveIdentity(generateIdentity());
      const address = parseRelayAddress(`chat://${relay.fingerprint}@[::1]:${relay.port}`);
      expect(address).toEqual({ host: '::1', port: relay.port, fingerprint: relay.fingerprint });
      await login(profile, 'alice', address, 'test');
      expect(profile.loadConfig()).toMatchObject({ relay: `[::1]:${relay.port}`, relayCert: relay.fingerprint });
      const m = await Messenger.open(profile);
      try {
        const sent = await m.sendMessage('alice', 'over IPv6');
        const got: string[] = [];
        m.on('message', (x) => got.push(`${x.id} ${x.body}`));
        await m.receive();
        expect(got).toEqual([`${sent.id} over IPv6`]);
      } finally {
        m.close();
      }
    } finally {
      await relay.stop();
    }
  });
});
